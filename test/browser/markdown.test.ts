import { expect } from "@open-wc/testing";
import { MarkdownStream, renderMarkdown, isAllowedImage } from "../../src/markdown/index.js";
import { storageKey } from "../../src/storage.js";
import { deriveSiteUrl } from "../../src/shell/ai-chat-stream.js";
import { $$, mount, replyText, settle, setup } from "./helpers.js";
import { nextFrame, until } from "./fake-backend.js";

// Payloads a model could be tricked into writing. None may execute, navigate or fetch.
const XSS_CORPUS = [
  `<script>alert(1)</script>`,
  `<img src=x onerror=alert(1)>`,
  `<svg onload=alert(1)><circle r=10></circle></svg>`,
  `<svg><script>alert(1)</script></svg>`,
  `<svg><a xlink:href="javascript:alert(1)"><text y="20">click</text></a></svg>`,
  `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
  `<math><mi xlink:href="data:x,<script>alert(1)</script>">x</mi></math>`,
  `<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>`,
  `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
  `<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">`,
  `<iframe src="javascript:alert(1)"></iframe>`,
  `<a href="javascript:alert(1)">raw link</a>`,
  `<details open ontoggle=alert(1)>`,
  `<div style="background:url(javascript:alert(1))">styled</div>`,
  `[click me](javascript:alert(1))`,
  `[click me](JaVaScRiPt:alert(1))`,
  `[click me](  javascript:alert(1))`,
  `[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
  `[vb](vbscript:msgbox(1))`,
  `![x](javascript:alert(1))`,
  `![x" onerror="alert(1)](https://evil.example/x.png)`,
  `<a href="&#106;avascript:alert(1)">entity</a>`,
  `[entity](&#106;avascript:alert(1))`,
  `<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">`,
  `<base href="javascript:alert(1)//">`,
  `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
  "```html\n<script>alert(1)</script>\n```",
  `<input autofocus onfocus=alert(1)>`,
  `<video><source onerror=alert(1)></video>`,
  `<style>*{background:url(https://evil.example/leak)}</style>`,
];

const FORBIDDEN =
  "script, iframe, object, embed, svg, math, style, form, input, base, meta, video, source, details, noscript";

function assertInert(root: ParentNode, payload: string): void {
  expect(root.querySelector(FORBIDDEN), `dangerous element from ${payload}`).to.equal(null);
  for (const el of root.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      expect(attr.name.startsWith("on"), `${attr.name} from ${payload}`).to.equal(false);
      expect(attr.name, `style from ${payload}`).to.not.equal("style");
    }
    const href = el.getAttribute("href");
    if (href !== null) expect(href, `href from ${payload}`).to.match(/^(https?:|mailto:)/i);
    const src = el.getAttribute("src");
    expect(src, `src from ${payload}`).to.equal(null);
  }
}

describe("Markdown rendering", () => {
  let alerts = 0;
  const realAlert = window.alert;
  beforeEach(() => {
    alerts = 0;
    window.alert = () => void alerts++;
  });
  afterEach(() => void (window.alert = realAlert));

  for (const payload of XSS_CORPUS) {
    it(`renders ${JSON.stringify(payload).slice(0, 70)} inert`, async () => {
      const host = document.createElement("div");
      document.body.append(host);
      host.append(renderMarkdown(`Before\n\n${payload}\n\nAfter ${payload}`));
      assertInert(host, payload);
      await new Promise((r) => setTimeout(r, 20));
      expect(alerts).to.equal(0);
      host.remove();
    });
  }

  it("shows raw HTML from the model as text instead of markup", () => {
    const host = document.createElement("div");
    host.append(renderMarkdown("Use <b>bold</b> like <script>x()</script>"));
    expect(host.querySelector("b")).to.equal(null);
    expect(host.textContent).to.contain("<b>bold</b>");
    expect(host.textContent).to.contain("<script>x()</script>");
  });

  it("opens http(s) links in a new tab with noopener noreferrer nofollow and keeps mailto links", () => {
    const host = document.createElement("div");
    host.append(
      renderMarkdown("[site](https://example.com/a?b=1) and [mail](mailto:hi@example.com) and <https://auto.example>"),
    );
    const links = [...host.querySelectorAll("a")];
    expect(links.map((a) => a.getAttribute("href"))).to.deep.equal([
      "https://example.com/a?b=1",
      "mailto:hi@example.com",
      "https://auto.example",
    ]);
    for (const a of links) {
      expect(a.getAttribute("target")).to.equal("_blank");
      expect(a.getAttribute("rel")).to.equal("noopener noreferrer nofollow");
    }
  });

  it("drops relative and unknown-scheme link targets but keeps the link text", () => {
    const host = document.createElement("div");
    host.append(renderMarkdown("[rel](/admin) [ftp](ftp://x) [js](javascript:void 0)"));
    expect([...host.querySelectorAll("a[href]")]).to.have.length(0);
    expect(host.textContent).to.contain("rel");
  });

  it("renders code blocks with a copy button and the code escaped", () => {
    const host = document.createElement("div");
    host.append(renderMarkdown("```js\nif (a < b) alert('x');\n```", { copyLabel: "Copy code" }));
    const block = host.querySelector(".code-block")!;
    expect(block.querySelector("button[data-copy]")!.textContent).to.equal("Copy code");
    expect(block.querySelector("pre code")!.textContent).to.equal("if (a < b) alert('x');\n");
  });

  it("keeps the start number of an ordered list", () => {
    const host = document.createElement("div");
    host.append(renderMarkdown("3. third\n4. fourth"));
    expect(host.querySelector("ol")!.getAttribute("start")).to.equal("3");
    expect(host.querySelector("ol")!.start).to.equal(3);
  });

  it("keeps the column alignment of a table", () => {
    const host = document.createElement("div");
    host.append(renderMarkdown("| l | c | r |\n|:--|:-:|--:|\n| 1 | 2 | 3 |"));
    expect([...host.querySelectorAll("th, td")].map((c) => c.getAttribute("align"))).to.deep.equal([
      "left",
      "center",
      "right",
      "left",
      "center",
      "right",
    ]);
  });

  it("binds options to each renderer: two streams with different options render side by side", () => {
    const allowed = new MarkdownStream({ allowImages: "cdn.example.com", copyLabel: "Kopieren" });
    const blocked = new MarkdownStream({ imageLabel: "Bild" });
    const text = "![](https://cdn.example.com/a.png)\n\n```\nx\n```\n";
    const a = allowed.update(text);
    const b = blocked.update(text);
    expect(a[0]!.querySelector("img")!.getAttribute("src")).to.equal("https://cdn.example.com/a.png");
    expect(b[0]!.querySelector("img")).to.equal(null);
    expect(b[0]!.querySelector("a.blocked-image")!.textContent).to.equal("Bild");
    expect(a[1]!.querySelector("button")!.textContent).to.equal("Kopieren");
    expect(b[1]!.querySelector("button")!.textContent).to.equal("Copy");
  });

  it("does not add hooks to the page's own DOMPurify", async () => {
    const { default: DOMPurify } = await import("dompurify");
    const out = DOMPurify.sanitize('<a href="https://x.example">x</a>');
    expect(out).to.not.contain("target");
  });
});

describe("Markdown images", () => {
  const probe = () => `${location.origin}/__image-probe-${Math.random().toString(36).slice(2)}.png`;
  const requested = (url: string) => performance.getEntriesByType("resource").some((e) => e.name === url);

  it("does not request images from hosts outside allow-images and shows them as a link with their alt text", async () => {
    const url = probe();
    const host = document.createElement("div");
    document.body.append(host);
    host.append(renderMarkdown(`![secret chart](${url}?q=leak)`));
    await new Promise((r) => setTimeout(r, 150));
    expect(host.querySelector("img")).to.equal(null);
    const link = host.querySelector("a")!;
    expect(link.textContent).to.equal("secret chart");
    expect(link.getAttribute("rel")).to.equal("noopener noreferrer nofollow");
    expect(requested(`${url}?q=leak`)).to.equal(false);
    host.remove();
  });

  it("loads images from hosts listed in allow-images (so the probe above can fail)", async () => {
    const url = probe();
    const host = document.createElement("div");
    document.body.append(host);
    host.append(renderMarkdown(`![ok](${url})`, { allowImages: location.hostname }));
    await until(() => requested(url), 2000);
    expect(host.querySelector("img")!.getAttribute("alt")).to.equal("ok");
    host.remove();
  });

  it("matches allow-images hosts exactly, by wildcard subdomain or *", () => {
    expect(isAllowedImage("https://cdn.example.com/a.png", "cdn.example.com")).to.equal(true);
    expect(isAllowedImage("https://evil.com/a.png", "cdn.example.com")).to.equal(false);
    expect(isAllowedImage("https://a.example.com/a.png", "*.example.com")).to.equal(true);
    expect(isAllowedImage("https://example.com.evil.io/a.png", "*.example.com")).to.equal(false);
    expect(isAllowedImage("https://any.where/a.png", "*")).to.equal(true);
    expect(isAllowedImage("data:image/png;base64,AAAA", "*")).to.equal(false);
    expect(isAllowedImage("https://any.where/a.png", "")).to.equal(false);
  });

  it("the element requests no image from a reply unless its host is allowed", async () => {
    const env = setup();
    const url = probe();
    const threadId = env.backend.seedThread("t", [["Show me", `Here: ![leak](${url}?secret=1)`]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "t" }));
    try {
      const el = await mount(env.url);
      await until(() => replyText(el).includes("leak"));
      await new Promise((r) => setTimeout(r, 150));
      expect($$(el, ".markdown img")).to.have.length(0);
      expect(requested(`${url}?secret=1`)).to.equal(false);
    } finally {
      localStorage.removeItem(storageKey(env.url, deriveSiteUrl(env.url)));
      env.restore();
    }
  });
});

describe("Incremental Markdown", () => {
  it("parses each finished block once while the tail grows", () => {
    const md = new MarkdownStream();
    let text = "";
    for (let i = 0; i < 30; i++) {
      text += `Paragraph ${i} with some words.\n\n`;
      md.update(text);
    }
    const afterBlocks = md.parseCount;
    const first = md.blocks[0];
    for (let i = 0; i < 100; i++) {
      text += `w${i} `;
      md.update(text);
    }
    // 100 tail renders, plus the 30th paragraph once when the tail made it finished; none of
    // the earlier paragraphs again.
    expect(md.parseCount - afterBlocks).to.equal(101);
    expect(md.blocks[0]).to.equal(first);
    expect(md.blocks).to.have.length(31);
    expect(md.blocks.at(-1)!.textContent).to.contain("w99");
  });

  it("renders the same result incrementally as in one go", () => {
    const doc =
      "# Title\n\nSome *text* here.\n\n- one\n- two\n\n```js\nlet a = 1;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\n\nEnd.";
    const md = new MarkdownStream();
    for (let i = 1; i <= doc.length; i += 3) md.update(doc.slice(0, i));
    md.update(doc);
    const whole = document.createElement("div");
    whole.append(renderMarkdown(doc));
    const parts = document.createElement("div");
    for (const b of md.blocks) parts.append(...[...b.childNodes].map((n) => n.cloneNode(true)));
    expect(parts.innerHTML.replace(/\s+/g, "")).to.equal(whole.innerHTML.replace(/\s+/g, ""));
  });

  it("starts over when the text is not a continuation of the last one", () => {
    const md = new MarkdownStream();
    md.update("First paragraph.\n\nSecond");
    md.update("Different.\n\nText");
    expect(md.blocks.map((b) => b.textContent!.trim())).to.deep.equal(["Different.", "Text"]);
  });

  it("the element re-renders a streaming reply at most once per animation frame", async () => {
    const env = setup();
    const threadId = env.backend.seedThread("t");
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "t" }));
    const updates: string[] = [];
    const original = MarkdownStream.prototype.update;
    MarkdownStream.prototype.update = function (this: MarkdownStream, text: string) {
      if (updates.at(-1) !== text) updates.push(text);
      return original.call(this, text);
    };
    try {
      const el = await mount(env.url);
      const { streamId } = env.backend.seedActiveReply(threadId);
      env.backend.persist(streamId, "Start. ");
      await until(() => replyText(el) === "Start.");
      await nextFrame();
      updates.length = 0;
      // 20 deltas inside one task: many Lit updates, but one frame.
      for (let i = 0; i < 20; i++) {
        env.backend.persist(streamId, `d${i} `);
        await Promise.resolve();
        await el.updateComplete;
      }
      await settle(el);
      await nextFrame();
      expect(replyText(el)).to.contain("d19");
      expect(updates.length).to.be.at.most(2);
    } finally {
      MarkdownStream.prototype.update = original;
      localStorage.removeItem(storageKey(env.url, deriveSiteUrl(env.url)));
      env.restore();
    }
  });
});
