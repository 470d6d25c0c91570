// Attaching files in the composer (issue 23 item 2; the `attach` part, src/attach/compose.ts): the
// attach button, a drop, a paste and attach(file) each add a chip; uploads (a fake
// `POST /chat-upload`: XMLHttpRequest, for progress) go with a minted visitor token; Send carries
// the upload IDs; limits and refusals fire ai-chat-error with their codes and keep the text; large
// photos are scaled down before upload.
import { expect, oneEvent } from "@open-wc/testing";
import { setViewport } from "@web/test-runner-commands";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import type { AiChatErrorEvent } from "../../src/events.js";
import { deriveSiteUrl } from "../../src/site-url.js";
import { storageKey } from "../../src/storage.js";
import { stubUploads, until, type FakeUpload } from "./fake-backend.js";
import { $, $$, animationsDone, mount, replyText, sendAndStart, settle, setup, type Setup } from "./helpers.js";

let env: Setup;
let xhr: ReturnType<typeof stubUploads>;

/** `POST {site}/visitors` answers a minted token, as the deployment does after proof of work. */
function visitors(): Setup {
  return setup((call) =>
    call.url.endsWith("/visitors")
      ? new Response(JSON.stringify({ token: "minted-token" }), { status: 200 })
      : new Response(null, { status: 205 }),
  );
}

/** A PNG made in the page, `w` by `h`. */
async function png(w = 4, h = 4, name = "shot.png"): Promise<File> {
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#3a7";
  ctx.fillRect(0, 0, w, h);
  return new File([await canvas.convertToBlob({ type: "image/png" })], name, { type: "image/png" });
}

const chips = (el: AiChatStream) => $$(el, "[part=attachment-chip]");

function type(el: AiChatStream, text: string): void {
  const box = $<HTMLTextAreaElement>(el, "textarea")!;
  box.value = text;
  box.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
}

async function uploaded(n: number): Promise<FakeUpload[]> {
  await until(() => xhr.uploads.length >= n, 4000);
  return xhr.uploads;
}

describe("attaching files", () => {
  beforeEach(() => (xhr = stubUploads()));
  afterEach(() => {
    xhr.restore();
    env?.restore();
  });

  it("attach(): a chip with a thumbnail and progress, uploaded as a newly minted visitor; Send carries its ID and clears it", async () => {
    env = visitors();
    const el = await mount(env.url);
    await el.attach(await png());
    await settle(el);
    const [chip] = chips(el);
    const thumb = chip!.querySelector<HTMLImageElement>("[part=attachment-thumbnail]")!;
    expect(thumb.src).to.match(/^blob:/);
    const [upload] = await uploaded(1);
    expect(env.fetchCalls.filter((c) => c.url.endsWith("/visitors"))).to.have.length(1);
    expect(upload!.url).to.equal(`${env.url.replace(/:(\d+)$/, (_, p) => `:${+p + 1}`)}/chat-upload`);
    expect(upload!.headers).to.deep.include({
      authorization: "Bearer minted-token",
      "content-type": "image/png",
      "x-file-name": "shot.png",
    });
    upload!.progress(upload!.body!.size / 2);
    await settle(el);
    expect($<HTMLProgressElement>(el, "[part=attachment-progress]")!.value).to.equal(0.5);
    expect($(el, "[part=attachment-remove]")!.getAttribute("aria-label")).to.equal("Cancel the upload of shot.png");
    upload!.accept("att_1");
    await settle(el);
    expect($(el, "[part=attachment-progress]")).to.equal(null);
    expect($(el, "[part=attachment-remove]")!.getAttribute("aria-label")).to.equal("Remove shot.png");
    // A file alone may be sent: the empty prompt goes with it.
    await el.send("");
    expect(env.backend.posts[0]).to.deep.include({ prompt: "", attachments: ["att_1"], token: "minted-token" });
    await settle(el);
    expect(chips(el)).to.have.length(0);
    // The thumbnail's object URL was revoked with its chip.
    const loads = await new Promise((resolve) => {
      const img = new Image();
      img.onload = () => resolve(true);
      img.onerror = () => resolve(false);
      img.src = thumb.src;
    });
    expect(loads).to.equal(false);
  });

  it("the attach button opens a picker limited to `accept`; a drop and a paste add files too; Send waits for uploads", async () => {
    env = visitors();
    const el = await mount(env.url, `accept="image/png,text/plain"`);
    const button = $<HTMLButtonElement>(el, "[part=attach-button]")!;
    expect(button.getAttribute("aria-label")).to.equal("Attach files");
    expect(button.type).to.equal("button");
    let picker: HTMLInputElement | null = null;
    const picked = (input: HTMLInputElement) => (picker = input);
    const click = HTMLInputElement.prototype.click;
    HTMLInputElement.prototype.click = function (this: HTMLInputElement) {
      picked(this);
    };
    try {
      button.click();
      await until(() => picker !== null);
    } finally {
      HTMLInputElement.prototype.click = click;
    }
    expect(picker!.type).to.equal("file");
    expect(picker!.multiple).to.equal(true);
    expect(picker!.accept).to.equal("image/png,text/plain");
    const chosen = new DataTransfer();
    chosen.items.add(new File(["notes"], "notes.txt", { type: "text/plain" }));
    picker!.files = chosen.files;
    picker!.dispatchEvent(new Event("change"));
    await until(() => chips(el).length === 1);

    const dropped = new DataTransfer();
    dropped.items.add(await png(4, 4, "dropped.png"));
    const over = new DragEvent("dragover", { dataTransfer: dropped, bubbles: true, composed: true, cancelable: true });
    $(el, ".messages")!.dispatchEvent(over);
    expect(over.defaultPrevented).to.equal(true);
    $(el, ".messages")!.dispatchEvent(
      new DragEvent("drop", { dataTransfer: dropped, bubbles: true, composed: true, cancelable: true }),
    );
    await until(() => chips(el).length === 2);

    const pasted = new DataTransfer();
    pasted.items.add(await png(4, 4, "pasted.png"));
    $(el, "textarea")!.dispatchEvent(
      new ClipboardEvent("paste", { clipboardData: pasted, bubbles: true, composed: true, cancelable: true }),
    );
    await until(() => chips(el).length === 3);
    expect(chips(el).map((c) => c.querySelector(".chip-name")!.textContent)).to.deep.equal([
      "notes.txt",
      "dropped.png",
      "pasted.png",
    ]);

    const uploads = await uploaded(3);
    type(el, "three files");
    $<HTMLButtonElement>(el, "[part=send-button]")!.click();
    await settle(el);
    expect(env.backend.posts).to.have.length(0);
    // A second Send while the first waits sends nothing more.
    await el.send("");
    uploads.forEach((u, i) => u.accept(`att_${i}`));
    await until(() => env.backend.posts.length === 1);
    expect(env.backend.posts[0]).to.deep.include({ prompt: "three files", attachments: ["att_0", "att_1", "att_2"] });
    await settle(el);
    expect(env.backend.posts).to.have.length(1);
  });

  it("removing a chip cancels its upload; it is not sent", async () => {
    env = visitors();
    const el = await mount(env.url);
    await el.attach(await png(4, 4, "a.png"));
    await el.attach(await png(4, 4, "b.png"));
    const [a, b] = await uploaded(2);
    await settle(el);
    chips(el)[0]!.querySelector<HTMLButtonElement>("[part=attachment-remove]")!.click();
    await settle(el);
    expect(a!.aborted).to.equal(true);
    expect(chips(el)).to.have.length(1);
    b!.accept("att_b");
    await el.send("one left");
    expect(env.backend.posts[0]!.attachments).to.deep.equal(["att_b"]);
  });

  it("over a limit: ai-chat-error with the code and the limit, nothing uploaded, the typed text kept", async () => {
    env = visitors();
    env.backend.config = { ...env.backend.config, maxFileBytes: 2048, maxFilesPerMessage: 2 };
    const el = await mount(env.url);
    type(el, "my question");
    const refused = async (files: File[]) => {
      const error = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
      const shown = el.attach(files[0]!);
      for (const f of files.slice(1)) void el.attach(f);
      await shown;
      return error;
    };
    const pdf = new File([new Uint8Array(4096)], "big.pdf", { type: "application/pdf" });
    let e = await refused([pdf]);
    expect(e.code).to.equal("FILE_TOO_LARGE");
    expect(e.message).to.contain("limit: 2 KiB per file");
    await settle(el);
    expect($(el, "[part=attachment-error]")!.textContent).to.equal(
      "big.pdf is larger than 2 KiB, the most a file may be.",
    );
    e = await refused([new File(["<p>"], "page.html", { type: "text/html" })]);
    expect(e.code).to.equal("FILE_TYPE_NOT_ALLOWED");
    await el.attach(await png(4, 4, "1.png"));
    await el.attach(await png(4, 4, "2.png"));
    e = await refused([await png(4, 4, "3.png")]);
    expect(e.code).to.equal("TOO_MANY_FILES");
    expect(e.message).to.contain("limit: 2 files per message");
    await settle(el);
    expect(chips(el)).to.have.length(2);
    expect(xhr.uploads.map((u) => (u.body as File).name)).to.deep.equal(["1.png", "2.png"]);
    expect($<HTMLTextAreaElement>(el, "textarea")!.value).to.equal("my question");
  });

  it("an upload the deployment refuses fails the send with its code; the text and the chip stay", async () => {
    env = visitors();
    const el = await mount(env.url);
    await el.attach(await png());
    const [upload] = await uploaded(1);
    upload!.answer(415, { code: "FILE_TYPE_NOT_ALLOWED", message: "The file's bytes are not a image/png." });
    type(el, "see this");
    const error = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    $<HTMLButtonElement>(el, "[part=send-button]")!.click();
    expect((await error).code).to.equal("FILE_TYPE_NOT_ALLOWED");
    await settle(el);
    expect(env.backend.posts).to.have.length(0);
    expect($<HTMLTextAreaElement>(el, "textarea")!.value).to.equal("see this");
    expect(chips(el)).to.have.length(1);
  });

  it("a question sent with a file stays at the top of the transcript when its chips leave the composer", async () => {
    env = setup();
    const rows = Array.from({ length: 4 }, (_, i): [string, string] => [
      `Q${i}`,
      `A${i} ${"text to read. ".repeat(30)}`,
    ]);
    const threadId = env.backend.seedThread("visitor-token", rows);
    localStorage.setItem(
      storageKey(env.url, deriveSiteUrl(env.url)),
      JSON.stringify({ threadId, token: "visitor-token" }),
    );
    const el = await mount(env.url);
    await until(() => $$(el, ".row").length === 8);
    await el.attach(await png());
    (await uploaded(1))[0]!.accept("att_1");
    await settle(el);
    await sendAndStart(el, "What is in this picture?");
    await settle(el);
    // The transcript grew taller as the chips went: its end moved, the question must not.
    expect(chips(el)).to.have.length(0);
    const question = () =>
      $$(el, ".row.user").at(-1)!.getBoundingClientRect().top - $(el, ".messages")!.getBoundingClientRect().top;
    expect(question()).to.be.within(0, 20);
    env.backend.persist(env.backend.messages.at(-1)!.streamId!, "A green square.");
    await until(() => replyText(el).includes("green"));
    await settle(el);
    expect(question()).to.be.within(0, 20);
  });

  it("a photo over 2,048 px on a side is scaled down before upload", async () => {
    env = visitors();
    const el = await mount(env.url);
    await el.attach(await png(3000, 1500, "photo.png"));
    const [upload] = await uploaded(1);
    const sent = upload!.body as File;
    expect(sent.type).to.equal("image/webp");
    expect(sent.name).to.equal("photo.webp");
    const bitmap = await createImageBitmap(sent);
    expect([bitmap.width, bitmap.height]).to.deep.equal([2048, 1024]);
  });

  it("is accessible with chips shown, light and dark, on a 390 px phone", async () => {
    env = visitors();
    await setViewport({ width: 390, height: 700 });
    try {
      const el = await mount(env.url, `theme="dark"`);
      await el.attach(await png());
      await el.attach(new File(["notes"], "notes.txt", { type: "text/plain" }));
      const [first] = await uploaded(2);
      first!.accept("att_1");
      await settle(el);
      await animationsDone(el);
      await expect(el).to.be.accessible();
      el.setAttribute("theme", "light");
      await settle(el);
      await expect(el).to.be.accessible();
      const composer = $(el, "[part=composer]")!;
      expect(composer.scrollWidth).to.be.at.most(composer.clientWidth);
      expect($(el, "[part=attachment-chips]")!.getBoundingClientRect().right).to.be.at.most(390);
    } finally {
      await setViewport({ width: 800, height: 600 });
    }
  });
});
