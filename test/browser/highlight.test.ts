// Token colours for fenced code that names its language: the `highlight` part, applied to
// finished blocks only, through the renderer's sanitiser; streamed equals reloaded.
import { expect } from "@open-wc/testing";
import { MarkdownStream, renderMarkdown } from "../../src/markdown/index.js";
import * as highlighter from "../../src/markdown/highlight.js";
import { deriveSiteUrl } from "../../src/site-url.js";
import { storageKey } from "../../src/storage.js";
import { animationsDone, mount, settle, setup } from "./helpers.js";
import { until } from "./fake-backend.js";

const render = (md: string) => {
  const host = document.createElement("div");
  host.append(renderMarkdown(md, { highlighter }));
  return host;
};

describe("highlighted code", () => {
  it("colours the tokens of a block whose fence names a known language, keeping its text", () => {
    const code = "const answer = 'forty-two'; // the answer\n";
    const host = render("```js\n" + code + "```");
    const el = host.querySelector("pre code")!;
    expect(el.textContent).to.equal(code);
    const keyword = el.querySelector(".hljs-keyword") as HTMLElement;
    expect(keyword.textContent).to.equal("const");
    expect(keyword.style.color).to.contain("--ai-chat-code-keyword");
    expect((el.querySelector(".hljs-string") as HTMLElement).style.color).to.contain("--ai-chat-code-string");
    expect((el.querySelector(".hljs-comment") as HTMLElement).style.fontStyle).to.equal("italic");
  });

  it("covers the 20 common languages, by name and by alias", () => {
    expect(highlighter.languages).to.have.length(20);
    for (const lang of ["ts", "py", "sh", "html", "yml", "rs", "rb", "kt", "cs", "c++", "go", "sql"]) {
      const host = render("```" + lang + "\nx = 1\n```");
      expect(host.querySelector("pre code")!.classList.contains("hljs"), lang).to.equal(true);
    }
  });

  it("renders an unknown language, and a fence without one, as plain text", () => {
    for (const md of ["```klingon\nqapla' = 1;\n```", "```\nconst a = 1;\n```"]) {
      const el = render(md).querySelector("pre code")!;
      expect(el.children, md).to.have.length(0);
      expect(el.classList.contains("hljs"), md).to.equal(false);
    }
  });

  it("keeps hostile code inert: only token spans with token classes reach the page", () => {
    const code = `<img src=x onerror="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)">x</a>\n`;
    const el = render("```html\n" + code + "```").querySelector("pre code")!;
    expect(el.textContent).to.equal(code);
    expect(el.querySelectorAll(":not(span)")).to.have.length(0);
    for (const span of el.querySelectorAll("span")) {
      expect(span.className).to.match(/^(hljs-[a-z_-]+|language-[a-z]+)( [a-z]+_+)*$/);
      for (const name of span.getAttributeNames()) expect(["class", "style"]).to.include(name);
    }
  });

  it("highlights a streaming reply's finished blocks only, and ends equal to the reloaded reply", () => {
    const md = "Before.\n\n```python\ndef f(x):\n    return x * 2\n```\n\nBetween.\n\n```ts\nlet n: number = 1;\n```\n";
    let asked = 0;
    const stream = new MarkdownStream({ highlighter, onCode: () => asked++ });
    let tailHighlights = 0;
    for (let i = 1; i <= md.length; i++) {
      const blocks = stream.update(md.slice(0, i), true);
      if (blocks.at(-1)!.querySelector(".hljs")) tailHighlights++;
    }
    expect(tailHighlights, "the growing block is never highlighted while streaming").to.equal(0);
    expect(asked, "a block naming its language asks for the highlighter").to.be.greaterThan(0);
    const streaming = stream.blocks.map((b) => b.innerHTML).join("");
    expect(streaming).to.contain("hljs-keyword"); // the Python block, finished by what follows it
    const done = stream.update(md, false);
    const reloaded = document.createElement("div");
    reloaded.append(renderMarkdown(md, { highlighter }));
    const streamed = done.map((b) => b.innerHTML).join("");
    expect(streamed).to.equal([...new MarkdownStream({ highlighter }).update(md)].map((b) => b.innerHTML).join(""));
    expect(done.at(-1)!.querySelector("code.hljs"), "the last block, once the reply ended").to.not.equal(null);
    expect(reloaded.querySelectorAll("code.hljs")).to.have.length(2);
  });
});

describe("highlighted code in the element", () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => (s = setup()));
  afterEach(() => s.restore());

  it("does not load the highlighter for replies without a code block that names its language", async () => {
    const threadId = s.backend.seedThread("tok", [["Plain?", "Plain text and:\n\n```\nno language\n```\n"]]);
    localStorage.setItem(storageKey(s.url, deriveSiteUrl(s.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(s.url);
    await until(() => el.shadowRoot!.querySelector("pre code"));
    await settle(el);
    const chat = (el as unknown as { _chat: { onDemand: { parts: object } } })._chat;
    expect("highlight" in chat.onDemand.parts).to.equal(false);
  });

  it("loads the highlighter at the first code block with a language and colours the finished reply, axe clean", async () => {
    const threadId = s.backend.seedThread("tok", [["Show me", "Here:\n\n```js\nconst x = 1;\n```\n"]]);
    localStorage.setItem(storageKey(s.url, deriveSiteUrl(s.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(s.url);
    await until(() => el.shadowRoot!.querySelector("pre code.hljs .hljs-keyword"));
    await settle(el);
    await animationsDone(el);
    await expect(el).to.be.accessible();
  });
});
