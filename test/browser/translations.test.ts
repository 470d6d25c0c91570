// Built-in translations (issue 25): chosen from the element's or the page's `lang`, right to
// left for Arabic and Hebrew, overridden by `strings`, and loaded one language at a time with
// the chat (never by the shell).
import { expect, fixture } from "@open-wc/testing";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import { defaultStrings as chatStrings, type ChatStrings } from "../../src/strings.js";
import historyStrings from "../../src/history/strings.js";
import handoffStrings from "../../src/handoff/strings.js";
import actionStrings from "../../src/actions/strings.js";
import attachStrings from "../../src/attach/strings.js";

/** Every text of the widget: the chat's and each lazy part's (in the part's own module). */
const defaultStrings = { ...chatStrings, ...historyStrings, ...handoffStrings, ...actionStrings, ...attachStrings };
import { until } from "./fake-backend.js";
import { $, mount, settle, setup, type Setup } from "./helpers.js";

const CODES = ["ar", "de", "es", "fr", "he", "it", "ja", "ko", "nl", "pt", "ru", "zh"];
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
/** Language files this page has fetched (the ES build's dynamic imports, from source here). */
const fetchedLocales = () =>
  performance
    .getEntriesByType("resource")
    .map((e) => e.name)
    .filter((n) => /\/locales\/\w+\.(ts|js)/.test(n))
    .map((n) => n.match(/\/locales\/(\w+)\./)![1]);

describe("translations", () => {
  let env: Setup;
  afterEach(() => {
    env.restore();
    document.documentElement.removeAttribute("lang");
  });

  it('with lang="ar" the chat speaks Arabic, right to left, with Arabic punctuation at the line end, and loads only Arabic', async () => {
    env = setup();
    const before = new Set(fetchedLocales());
    const el = await mount(env.url, `lang="ar"`);
    await until(() => $<HTMLTextAreaElement>(el, "textarea")!.placeholder === "اكتب رسالة…");
    await settle(el);
    const panel = $(el, "[part=panel]")!;
    expect(getComputedStyle(panel).direction).to.equal("rtl");
    const greeting = $(el, ".empty-title")!;
    expect(greeting.textContent).to.equal("مرحبًا! كيف يمكنني المساعدة؟");
    // The question mark ends the line on the left, where an Arabic reader finishes.
    const node = [...greeting.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent)!;
    const range = document.createRange();
    range.setStart(node, node.textContent!.length - 1);
    range.setEnd(node, node.textContent!.length);
    const mark = range.getBoundingClientRect();
    const line = greeting.getBoundingClientRect();
    const text = document.createRange();
    text.selectNodeContents(greeting);
    expect(mark.left - text.getBoundingClientRect().left).to.be.lessThan(2);
    expect(mark.right).to.be.at.most(line.right);
    expect($(el, "[part=send-button]")!.getAttribute("aria-label")).to.equal("إرسال");
    // Runs first in this file: no other language has been imported on this page yet.
    expect(before.size).to.equal(0);
    expect(fetchedLocales()).to.deep.equal(["ar"]);
    await expect(el).to.be.accessible();
  });

  it("follows the page's lang (Hebrew, right to left) and a change of it, and strings still override any text", async () => {
    env = setup();
    document.documentElement.lang = "he-IL";
    const el = await fixture<AiChatStream>(`<ai-chat-stream convex-url="${env.url}"></ai-chat-stream>`);
    el.strings = { greeting: "ברוכים הבאים לחנות" };
    await until(() => $<HTMLTextAreaElement>(el, "textarea")?.placeholder === "כתבו הודעה…");
    expect(getComputedStyle($(el, "[part=panel]")!).direction).to.equal("rtl");
    expect($(el, ".empty-title")!.textContent).to.equal("ברוכים הבאים לחנות");
    expect($(el, ".ai-note")!.textContent).to.equal("התשובות נכתבות על ידי בינה מלאכותית ועלולות להיות שגויות.");
    document.documentElement.lang = "de";
    await until(() => $<HTMLTextAreaElement>(el, "textarea")!.placeholder === "Nachricht schreiben…");
    expect(getComputedStyle($(el, "[part=panel]")!).direction).to.equal("ltr");
    document.documentElement.lang = "en";
    await until(() => $<HTMLTextAreaElement>(el, "textarea")!.placeholder === "Write a message…");
  });

  it("a language without a built-in translation stays in English", async () => {
    env = setup();
    const el = await mount(env.url, `lang="sw"`);
    await settle(el);
    expect($<HTMLTextAreaElement>(el, "textarea")!.placeholder).to.equal("Write a message…");
  });

  it("at least 12 languages, each translating every text with the same placeholders as English", async () => {
    env = setup();
    for (const code of CODES) {
      const strings = ((await import(`../../src/locales/${code}.ts`)) as { default: ChatStrings }).default;
      expect(Object.keys(strings).sort(), code).to.deep.equal(Object.keys(defaultStrings).sort());
      for (const [key, english] of Object.entries(defaultStrings)) {
        const text = strings[key as keyof ChatStrings];
        expect(text.trim(), `${code}.${key}`).to.not.equal("");
        expect(placeholders(text), `${code}.${key}`).to.deep.equal(placeholders(english));
      }
    }
    expect(CODES.length).to.be.at.least(12);
  });
});
