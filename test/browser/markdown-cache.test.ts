// The element's per-reply Markdown streams: one per reply on screen, for as long as it is.
import { expect } from "@open-wc/testing";
import { MarkdownCache } from "../../src/markdown/cache.js";
import type { MarkdownOptions } from "../../src/markdown/index.js";

const options: MarkdownOptions = { allowImages: "", copyLabel: "Copy", imageLabel: "Image" };

/** Renders a transcript the way chat-panel.ts does: every reply shown asks for its blocks, in one task. */
async function render(cache: MarkdownCache, replies: Record<string, string>): Promise<HTMLElement[][]> {
  const blocks = Object.entries(replies).map(([id, text]) => cache.blocks(id, text, options));
  await new Promise((r) => setTimeout(r, 0));
  return blocks;
}

describe("MarkdownCache", () => {
  it("drops the stream of a reply the transcript no longer shows, without waiting for another thread", async () => {
    const cache = new MarkdownCache();
    await render(cache, { failed: "The reply that failed.", other: "Another reply." });
    expect(cache.size).to.equal(2);
    // messages:retry replaced the failed reply with a new one.
    await render(cache, { other: "Another reply.", retried: "The reply, generated again." });
    expect(cache.size).to.equal(2);
    await render(cache, { other: "Another reply." });
    expect(cache.size).to.equal(1);
  });

  it("keeps the blocks of a reply still shown from one render to the next", async () => {
    const cache = new MarkdownCache();
    const [first] = await render(cache, { a: "# Title\n\nA paragraph.\n\nMore", b: "Other." });
    const [again] = await render(cache, { a: "# Title\n\nA paragraph.\n\nMore text" });
    await render(cache, { a: "# Title\n\nA paragraph.\n\nMore text" });
    const [last] = await render(cache, { a: "# Title\n\nA paragraph.\n\nMore text" });
    // Compared as booleans: a failure that prints two DOM elements is unreadable.
    expect(again![0] === first![0], "the heading kept its element").to.equal(true);
    expect(last![1] === first![1], "the paragraph kept its element").to.equal(true);
  });
});
