// A deterministic Markdown reply of a given size with everything a model writes: headings,
// paragraphs with inline marks and links, lists, code blocks, tables and quotes.
import { rng } from "./model.ts";

const WORDS =
  "stream reply token observer driver backend widget cursor flush text answer chunk model page socket query render update latency buffer delta".split(
    " ",
  );

export function markdownDoc(targetBytes: number, seed = 5): string {
  const r = rng(seed);
  const pick = () => WORDS[Math.floor(r() * WORDS.length)]!;
  const words = (n: number) => Array.from({ length: n }, pick).join(" ");
  const sentence = () => {
    const w = words(6 + Math.floor(r() * 12)).split(" ");
    const i = Math.floor(r() * w.length);
    const mark = r();
    if (mark < 0.2) w[i] = `**${w[i]}**`;
    else if (mark < 0.35) w[i] = `\`${w[i]}()\``;
    else if (mark < 0.45) w[i] = `[${w[i]}](https://example.com/${w[i]})`;
    else if (mark < 0.55) w[i] = `*${w[i]}*`;
    const s = w.join(" ");
    return s[0]!.toUpperCase() + s.slice(1) + ".";
  };
  const blocks: string[] = [];
  let size = 0;
  let section = 0;
  while (size < targetBytes) {
    const k = blocks.length % 9;
    let block: string;
    if (k === 0) block = `${r() < 0.5 ? "##" : "###"} ${words(3)} ${++section}`;
    else if (k === 1 || k === 4 || k === 7) block = Array.from({ length: 2 + Math.floor(r() * 3) }, sentence).join(" ");
    else if (k === 2)
      block = Array.from({ length: 3 + Math.floor(r() * 4) }, () => `- ${words(4 + Math.floor(r() * 6))}`).join("\n");
    else if (k === 3) {
      const lines = Array.from(
        { length: 4 + Math.floor(r() * 8) },
        (_, i) => `  const ${pick()}${i} = ${pick()}(${r().toFixed(3)});`,
      );
      block = ["```ts", `function ${pick()}() {`, ...lines, "}", "```"].join("\n");
    } else if (k === 5) {
      const rows = Array.from(
        { length: 3 + Math.floor(r() * 5) },
        () => `| ${pick()} | ${Math.floor(r() * 1000)} | ${words(3)} |`,
      );
      block = ["| name | value | note |", "| --- | ---: | --- |", ...rows].join("\n");
    } else if (k === 6) block = `> ${sentence()} ${sentence()}`;
    else block = Array.from({ length: 3 + Math.floor(r() * 3) }, (_, i) => `${i + 1}. ${words(5)}`).join("\n");
    blocks.push(block);
    size += block.length + 2;
  }
  return blocks.join("\n\n").slice(0, targetBytes);
}
