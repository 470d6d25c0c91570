import { expect } from "@open-wc/testing";
import { MarkdownStream, renderMarkdown } from "../../src/markdown/index.js";
import { settledText } from "../../src/markdown/streaming-text.js";

/**
 * The rules as first written (one regex over the whole text, every line split): the reference
 * the bounded version must agree with on any text within its bounds (32 held rows, 8 KB of line).
 */
function referenceSettledText(text: string): string {
  const lines = text.split("\n");
  let fences = 0;
  for (const line of lines) if (/^ {0,3}(```|~~~)/.test(line)) fences++;
  if (fences % 2 === 1) return text;
  const last = lines[lines.length - 1] === "" ? lines.length - 2 : lines.length - 1;
  let first = last + 1;
  while (first > 0 && lines[first - 1]!.trimStart().startsWith("|")) first--;
  let held = text;
  if (first <= last) {
    let formed = false;
    for (let i = first + 1; i <= last && i < lines.length - 1; i++) {
      if (/^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/.test(lines[i]!.trim())) formed = true;
    }
    if (!formed) held = lines.slice(0, first).join("\n");
  }
  const lastLine = held.slice(held.lastIndexOf("\n") + 1);
  if ((lastLine.match(/`/g)?.length ?? 0) % 2 === 1) return held;
  const m = /(!?)\[([^\]\n]*)(\](\([^)\s]*)?)?$/.exec(held);
  if (!m) return held;
  return held.slice(0, m.index) + (m[1] ? "" : m[2]);
}

/** mulberry32: seeded, so a failing text can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 12,000-character line of `[`, then prose with a link in it, on the same line (bench/rendering.ts, row 5). */
const BRACKETS =
  "[".repeat(12_000) + " and then prose that cites [the docs](https://docs.example/x) as it goes.".repeat(8);

describe("settledText (what a reply still being written shows)", () => {
  it("holds back table rows until a complete delimiter row is under the header", () => {
    expect(settledText("Intro\n\n| a | b |")).to.equal("Intro\n");
    expect(settledText("Intro\n\n| a | b |\n")).to.equal("Intro\n");
    expect(settledText("Intro\n\n| a | b |\n|---|--")).to.equal("Intro\n");
    expect(settledText("Intro\n\n| a | b |\n|---|---|\n")).to.equal("Intro\n\n| a | b |\n|---|---|\n");
    expect(settledText("| a | b |\n|---|---|\n| 1 | 2")).to.equal("| a | b |\n|---|---|\n| 1 | 2");
  });

  it("shows an unclosed link as its text and an unclosed image as nothing", () => {
    expect(settledText("See [Convex ")).to.equal("See Convex ");
    expect(settledText("See [Convex docs](https://docs.con")).to.equal("See Convex docs");
    expect(settledText("See [Convex docs]")).to.equal("See Convex docs");
    expect(settledText("See [Convex docs](https://docs.convex.dev)")).to.equal(
      "See [Convex docs](https://docs.convex.dev)",
    );
    expect(settledText("A picture ![a cat](https://img")).to.equal("A picture ");
  });

  it("changes nothing inside an open code fence or inline code", () => {
    expect(settledText("```\n| a | b |\nx = [1, ")).to.equal("```\n| a | b |\nx = [1, ");
    expect(settledText("Use `arr[")).to.equal("Use `arr[");
  });

  it("only ever shows a prefix-stable view: every settled text of a growing reply is a prefix of the whole or drops only its unfinished end", () => {
    const whole = "Intro\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nSee [docs](https://x.dev) and **bold**.";
    for (let i = 0; i <= whole.length; i++) {
      const shown = settledText(whole.slice(0, i));
      expect(shown.length).to.be.at.most(i);
    }
    expect(settledText(whole)).to.equal(whole);
  });

  it("agrees with the rules as first written on 5,000 random texts of brackets, pipes, fences and backticks", () => {
    const pieces = [
      "[",
      "]",
      "(",
      ")",
      "!",
      " ",
      "`",
      "a",
      "b",
      "\n",
      "\n\n",
      "|",
      "| a | b |",
      "|---|---|",
      "```",
      "x)",
      "](u",
    ];
    const next = random(20);
    for (let n = 0; n < 5_000; n++) {
      const text = Array.from(
        { length: 1 + Math.floor(next() * 24) },
        () => pieces[Math.floor(next() * pieces.length)],
      ).join("");
      expect(settledText(text), JSON.stringify(text)).to.equal(referenceSettledText(text));
    }
  });

  it("bounds its work per update: an open link further back than 8 KB on its line is shown as typed", () => {
    // What the rule looks at is bounded, so an update never scans a whole long line (or reply).
    const far = `See [${"x".repeat(9_000)}`;
    expect(same(settledText(far), far)).to.equal("same");
    const near = `${"y".repeat(9_000)} see [docs`;
    expect(settledText(near)).to.equal(`${"y".repeat(9_000)} see docs`);
  });

  it("bounds its work per update: more than 32 rows of pipes with no delimiter row are shown, not held", () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => `| r${i} |`).join("\n");
    expect(settledText(`Intro\n\n${rows(32)}`)).to.equal("Intro\n");
    expect(settledText(`Intro\n\n${rows(40)}`)).to.equal(`Intro\n\n${rows(40)}`);
  });

  it("shows a 12,000-character line of [ followed by prose as its text while streaming", () => {
    const open = BRACKETS.slice(0, 12_020); // the prose has begun, its link has not
    expect(same(settledText(open), open.slice(1))).to.equal("same");
    const linked = BRACKETS.slice(0, 12_100); // its link has closed: nothing is open
    expect(same(settledText(linked), linked)).to.equal("same");
  });
});

/** "same", or where two long strings first differ (a failure message that fits on a screen). */
function same(a: string, b: string): string {
  if (a === b) return "same";
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `lengths ${a.length} and ${b.length}, first difference at ${i}: ${JSON.stringify(a.slice(i, i + 60))} vs ${JSON.stringify(b.slice(i, i + 60))}`;
}

describe("a 12,000-character line of [ then prose, streamed as the element shows it", () => {
  it("ends as the whole-text render, fed in 64- and 512-character pieces", () => {
    const html = (blocks: HTMLElement[]) => blocks.map((b) => b.innerHTML).join("");
    // The element renders a finished reply with MarkdownStream too: a block this long is plain text.
    const whole = html(new MarkdownStream().update(BRACKETS));
    const div = document.createElement("div");
    div.append(renderMarkdown(BRACKETS));
    for (const chunk of [64, 512]) {
      const md = new MarkdownStream();
      for (let end = chunk; end < BRACKETS.length; end += chunk) md.update(settledText(BRACKETS.slice(0, end)));
      // The reply finished: its whole text, as it is.
      const blocks = md.update(BRACKETS);
      expect(same(html(blocks), whole), `${chunk}-character pieces`).to.equal("same");
      const text = blocks.map((b) => b.textContent).join("");
      expect(
        same(text.trimEnd(), div.textContent!.trimEnd()),
        `${chunk}-character pieces: renderMarkdown's text`,
      ).to.equal("same");
    }
  });
});
