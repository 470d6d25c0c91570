// The attachments part (src/attach/attachments.ts) in Chromium: what a message's files render as,
// that a URL which is not http(s) is never followed, and that its styles reach the shadow root.
import { expect, fixture } from "@open-wc/testing";
import { html, render } from "lit";
import { adoptStyles, attachmentsTemplate, fileSize } from "../../src/attach/attachments.js";

const PNG_URL =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

function renderFiles(list: Parameters<typeof attachmentsTemplate>[1]): HTMLElement {
  const box = document.createElement("div");
  render(attachmentsTemplate(html, list), box);
  return box;
}

describe("attachments part", () => {
  it("an image is a thumbnail linking to the file; another file a chip with name and size", () => {
    const box = renderFiles([
      { name: "shot.png", contentType: "image/png", size: 1234, url: "https://x.convex.cloud/api/storage/a" },
      {
        name: "invoice.pdf",
        contentType: "application/pdf",
        size: 2_500_000,
        url: "https://x.convex.cloud/api/storage/b",
      },
    ]);
    const [image, file] = box.querySelectorAll<HTMLAnchorElement>("[part~='attachment']");
    expect(image!.getAttribute("part")).to.equal("attachment image");
    expect(image!.href).to.equal("https://x.convex.cloud/api/storage/a");
    expect(image!.rel).to.equal("noopener noreferrer");
    expect(image!.querySelector("img")!.alt).to.equal("shot.png, 1.2 kB");
    expect(file!.getAttribute("part")).to.equal("attachment file");
    expect(file!.textContent).to.equal("invoice.pdf, 2.5 MB");
    expect(file!.getAttribute("download")).to.equal("invoice.pdf");
  });

  it("a URL that is not http(s), or none, is never followed; a hostile name stays text", () => {
    const box = renderFiles([
      { name: "<img src=x onerror=alert(1)>", contentType: "image/png", size: 5, url: "javascript:alert(1)" },
      { name: "gone.txt", contentType: "text/plain", size: 5, url: null },
      { name: "data.png", contentType: "image/png", size: 5, url: PNG_URL },
    ]);
    expect(box.querySelectorAll("a, img")).to.have.length(0);
    expect([...box.querySelectorAll("span[part~='attachment']")].map((s) => s.textContent)).to.deep.equal([
      "<img src=x onerror=alert(1)>, 5 B",
      "gone.txt, 5 B",
      "data.png, 5 B",
    ]);
  });

  it("its styles join the shadow root once", async () => {
    // The widget defines --_border on its host (theme.styles.ts).
    const host = await fixture<HTMLDivElement>(html`<div style="--_border: rgb(1, 2, 3)"></div>`);
    const root = host.attachShadow({ mode: "open" });
    adoptStyles(root);
    adoptStyles(root);
    expect(root.adoptedStyleSheets).to.have.length(1);
    render(
      attachmentsTemplate(html, [{ name: "a.txt", contentType: "text/plain", size: 1, url: "https://x.test/a" }]),
      root,
    );
    const chip = root.querySelector("[part~='attachment']")!;
    expect(getComputedStyle(chip).borderTopColor).to.equal("rgb(1, 2, 3)");
    expect(fileSize(999)).to.equal("999 B");
  });
});
