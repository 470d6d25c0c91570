import { expect } from "@open-wc/testing";
import { MAX_SEGMENT, MarkdownStream, renderMarkdown } from "../../src/markdown/index.js";

// A streamed reply must end exactly as the same text rendered whole, however it arrived.

type Example = { markdown: string; number: number; section: string };

/** The spec's examples, extracted as the commonmark-spec package's own index.js does (it needs fs). */
async function specExamples(): Promise<Example[]> {
  const spec = await (await fetch("/node_modules/commonmark-spec/spec.txt")).text();
  const examples: Example[] = [];
  let section = "";
  spec
    .replace(/^<!-- END TESTS -->(.|[\n])*/m, "")
    .replace(
      /^`{32} example\n([\s\S]*?)^\.\n([\s\S]*?)^`{32}$|^#{1,6} *(.*)$/gm,
      (_, markdown: string, _html: string, heading: string) => {
        if (heading) section = heading;
        else examples.push({ markdown: markdown.replace(/→/g, "\t"), number: examples.length + 1, section });
        return "";
      },
    );
  return examples;
}

/** mulberry32: a seeded generator, so a failure names pieces that can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Feed = (text: string) => string[];
const FEEDS: Record<string, Feed> = {
  "char by char": (text) => Array.from({ length: text.length }, (_, i) => text.slice(0, i + 1)),
  "in random pieces": (text) => {
    const next = random(text.length * 7919 + 17);
    const out: string[] = [];
    for (let end = 0; end < text.length;)
      out.push(text.slice(0, (end = Math.min(text.length, end + 1 + Math.floor(next() * 12)))));
    return out;
  },
  "line by line": (text) => {
    const out: string[] = [];
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) out.push(text.slice(0, i + 1));
    return [...out, text];
  },
};

const whole = (text: string): string => {
  const div = document.createElement("div");
  div.append(renderMarkdown(text));
  return div.innerHTML;
};

const streamed = (blocks: HTMLElement[]): string => blocks.map((b) => b.innerHTML).join("");

/** Feeds `text` in the given way and returns the final HTML, checking no frame lost text. */
function stream(text: string, feed: Feed): string {
  const md = new MarkdownStream();
  let blocks: HTMLElement[] = [];
  for (const prefix of feed(text)) blocks = md.update(prefix);
  return streamed(blocks);
}

describe("Streamed Markdown ends as the whole render", () => {
  let examples: Example[] = [];
  before(async () => {
    examples = await specExamples();
  });

  it("reads all 652 CommonMark spec examples", () => {
    expect(examples).to.have.length(652);
  });

  for (const [name, feed] of Object.entries(FEEDS)) {
    it(`for every CommonMark spec example fed ${name}`, function () {
      this.timeout(60_000);
      const wrong: string[] = [];
      for (const ex of examples) {
        if (stream(ex.markdown, feed) !== whole(ex.markdown))
          wrong.push(`#${ex.number} (${ex.section}) ${JSON.stringify(ex.markdown).slice(0, 60)}`);
      }
      expect(wrong, wrong.join("\n")).to.deep.equal([]);
    });
  }

  const REPLIES: Record<string, string> = {
    "numbered citations with their definitions at the end":
      "Paris is the capital of France [1]. It has about 2 million people [2].\n\nSee also [1] and [the census][2].\n\n" +
      '[1]: https://en.wikipedia.org/wiki/Paris\n[2]: https://www.insee.fr/en/statistics "INSEE"\n',
    "definitions before use":
      "[docs]: https://example.com/docs\n[api]:\n  https://example.com/api\n  'The API'\n\nRead [the docs][docs], then the [api].\n\n- see [docs]\n- and [API]\n",
    "setext headings": "Overview\n========\n\nSome text.\n\nDetails\n-------\n\nMore text\nacross lines\n---\n",
    "a table arriving row by row":
      "Results:\n\n| Model | Score | Notes |\n|:------|------:|:-----:|\n| a | 1 | *good* |\n| b | 22 | [link](https://x.example) |\n| c | 333 | `code` |\n\nDone.\n",
    "nested lists":
      "1. First\n   - a\n   - b\n     1. deep\n     2. deeper\n2. Second\n\n   Loose paragraph in item 2.\n3. Third\n\n- other\n+ list\n",
    "lazy blockquotes":
      "> A quote that\ncontinues lazily\n> and again\n\n> Second quote\n> - with a list\n> - of items\nlazy item\n\nAfter.\n",
    "an ordered list whose next item arrives later": "1. one\n\n2. two\n\n10) ten\n",
    "a fenced block with blank lines":
      "Code:\n\n```ts\nconst a = 1;\n\n\nconst b = 2;\n```\n\n~~~\nunclosed\n\nfence\n",
  };

  for (const [name, reply] of Object.entries(REPLIES)) {
    it(`for a reply with ${name}, fed each way`, () => {
      for (const [feedName, feed] of Object.entries(FEEDS))
        expect(stream(reply, feed), feedName).to.equal(whole(reply));
    });
  }

  it("links citations while the reply streams once their definitions have arrived, and only re-renders the blocks that use them", () => {
    const md = new MarkdownStream();
    md.update("Intro without refs.\n\nClaim [1].\n\nMore text.\n\n");
    const [intro, claim] = md.blocks;
    expect(claim!.querySelector("a")).to.equal(null);
    md.update("Intro without refs.\n\nClaim [1].\n\nMore text.\n\n[1]: https://source.example/a\n");
    expect(md.blocks[0]).to.equal(intro);
    expect(md.blocks[1]).to.not.equal(claim);
    expect(md.blocks[1]!.querySelector("a")!.getAttribute("href")).to.equal("https://source.example/a");
  });

  it("never loses text in an intermediate frame", () => {
    const reply = Object.values(REPLIES).join("\n");
    const md = new MarkdownStream();
    const letters = (s: string) => s.replace(/[^A-Za-z0-9]/g, "");
    for (let i = 1; i <= reply.length; i += 5) {
      const shown = letters(
        md
          .update(reply.slice(0, i))
          .map((b) => b.textContent)
          .join(""),
      );
      // Every word of the text so far shows (Markdown syntax and definitions aside).
      for (const word of reply.slice(0, i).split(/\s+/).slice(0, -1)) {
        if (/^(?:\[\d\]:|\[\w+\]:|https?:|'|")/.test(word) || !/^[A-Za-z]{3,}[.,]?$/.test(word)) continue;
        expect(shown, `at ${i}: ${word}`).to.contain(letters(word));
      }
    }
  });
});

describe("Markdown that would make marked slow", () => {
  const HOSTILE: Record<string, string> = {
    "emphasis delimiters (quadratic in marked)": "*a _".repeat(4000),
    "emphasis delimiters, 24 KB": "*a _".repeat(6000),
    "the same with underscores first": "_a *".repeat(4000),
    "strong openers": "**a".repeat(4000),
    backticks: "a`".repeat(8000),
    "block quotes nested 1,000 deep on one line": ">".repeat(1000) + " deep",
    "block quotes nested 1,000 deep over lines": Array.from(
      { length: 1000 },
      (_, i) => ">".repeat(i + 1) + ` q${i}`,
    ).join("\n"),
    "lists nested 1,000 deep on one line": "- ".repeat(1000) + "deep",
    "lists nested 1,000 deep by indentation": Array.from({ length: 1000 }, (_, i) => "  ".repeat(i) + `- l${i}`).join(
      "\n",
    ),
    "a 200 KB paragraph": Array.from({ length: 20000 }, (_, i) => `word${i} `)
      .join("")
      .slice(0, 200 * 1024),
    "a 200 KB paragraph full of inline marks and links": Array.from(
      { length: 6000 },
      (_, i) => `w${i} *s${i}* [l${i}](https://x.example) `,
    )
      .join("")
      .slice(0, 200 * 1024),
    "a 10,000-row table":
      "| n | square |\n|---|---|\n" + Array.from({ length: 10000 }, (_, i) => `| r${i} | ${i * i} |`).join("\n"),
  };
  const words = (s: string) => s.match(/[A-Za-z]+\d+|deep/g) ?? [];

  for (const [name, text] of Object.entries(HOSTILE)) {
    it(`keeps all the text of ${name} in every frame, streamed in 1 KB pieces`, function () {
      this.timeout(30_000);
      const md = new MarkdownStream();
      let shown = "";
      for (let end = 1024; end < text.length + 1024; end += 1024) {
        const prefix = text.slice(0, end);
        shown = md
          .update(prefix)
          .map((b) => b.textContent)
          .join("");
        // Compared as counts first: a deep-equal of 20,000-word arrays in every frame is slow.
        const [got, want] = [words(shown), words(prefix)];
        if (got.length !== want.length || got.at(-1) !== want.at(-1))
          expect(got, `frame ending at ${Math.min(end, text.length)}`).to.deep.equal(want);
      }
      expect(words(shown)).to.deep.equal(words(text));
      // The delimiters too: the pathological inline text is shown, not swallowed. (In the nested
      // inputs the outer `>` and `-` are Markdown syntax, so only the words count there.)
      if (!name.includes("nested"))
        for (const c of "*_`") expect(shown.split(c).length, c).to.equal(text.split(c).length);
    });
  }

  it("shows a block with no end within MAX_SEGMENT as plain text, and Markdown again after it", () => {
    const big = "| a |\n|---|\n" + "| **x** |\n".repeat(Math.ceil(MAX_SEGMENT / 10) + 10);
    const text = `${big}\n**after**\n`;
    const md = new MarkdownStream();
    for (let end = 512; end < text.length + 512; end += 512) md.update(text.slice(0, end));
    const html = streamed(md.blocks);
    expect(html).to.contain("**x**");
    expect(html).to.contain("<strong>after</strong>");
    const fresh = new MarkdownStream();
    expect(streamed(fresh.update(text)), "the same when rendered in one update").to.equal(html);
  });
});
