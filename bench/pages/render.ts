// In-page rendering benchmark (bundled with esbuild by bench/rendering.ts): streams a Markdown
// text into a container one fixed-size chunk per task, the way the element updates once per
// frame, timing each update (parse + sanitise + DOM + style/layout) and collecting long tasks.
//   ours:  MarkdownStream, finished blocks kept, blocks diffed by identity as Lit does
//   naive: marked + DOMPurify on the whole text every chunk (renderMarkdown), replacing the DOM
import { Marked } from "marked";
import createDOMPurify from "dompurify";
import { MarkdownStream, renderMarkdown } from "../../src/markdown/index.ts";
import { settledText } from "../../src/markdown/streaming-text.ts";
import * as highlighter from "../../src/markdown/highlight.ts";

export type RenderResult = {
  updates: { len: number; ms: number }[];
  longTasks: number[];
  parseCount: number;
  totalMs: number;
};

const nextTask = () =>
  new Promise<void>((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });

/** What Lit does with an array of nodes: the same node at the same index is left alone. */
function applyBlocks(container: HTMLElement, blocks: HTMLElement[]): void {
  for (let i = 0; i < blocks.length; i++) {
    const cur = container.children[i];
    if (cur === blocks[i]) continue;
    if (cur) cur.replaceWith(blocks[i]!);
    else container.append(blocks[i]!);
  }
  while (container.children.length > blocks.length) container.lastElementChild!.remove();
}

async function run(mode: "ours" | "naive", text: string, chunk: number): Promise<RenderResult> {
  document.body.innerHTML = "";
  const container = document.createElement("div");
  container.className = "bubble markdown";
  document.body.append(container);
  const longTasks: number[] = [];
  const po = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push(e.duration);
  });
  po.observe({ type: "longtask" });
  const md = new MarkdownStream();
  const updates: { len: number; ms: number }[] = [];
  const t0 = performance.now();
  for (let end = Math.min(chunk, text.length); ; end = Math.min(end + chunk, text.length)) {
    await nextTask();
    const prefix = text.slice(0, end);
    const s = performance.now();
    if (mode === "ours") applyBlocks(container, md.update(prefix));
    else container.replaceChildren(renderMarkdown(prefix));
    void container.offsetHeight; // style + layout inside the measured update
    updates.push({ len: end, ms: performance.now() - s });
    if (end >= text.length) break;
  }
  const totalMs = performance.now() - t0;
  await nextTask();
  await new Promise((r) => setTimeout(r, 50));
  for (const e of po.takeRecords()) longTasks.push(e.duration);
  po.disconnect();
  return { updates, longTasks, parseCount: md.parseCount, totalMs };
}

/**
 * Hostile text streamed in `chunk`-byte pieces the way the element shows a reply being written:
 * settledText (incomplete syntax held back) then MarkdownStream; the last update is the finished
 * reply, whole. The longest update (settle, parse through layout).
 */
async function hostile(text: string, chunk: number): Promise<{ worst: number; updates: number; chars: number }> {
  document.body.innerHTML = "";
  const container = document.createElement("div");
  container.className = "bubble markdown";
  document.body.append(container);
  const md = new MarkdownStream();
  let worst = 0;
  let updates = 0;
  for (let end = Math.min(chunk, text.length); ; end = Math.min(end + chunk, text.length)) {
    await nextTask();
    const s = performance.now();
    applyBlocks(container, md.update(settledText(text.slice(0, end))));
    void container.offsetHeight;
    worst = Math.max(worst, performance.now() - s);
    updates++;
    if (end >= text.length) break;
  }
  await nextTask();
  const s = performance.now();
  applyBlocks(container, md.update(text));
  void container.offsetHeight;
  worst = Math.max(worst, performance.now() - s);
  return { worst, updates: updates + 1, chars: container.textContent!.length };
}

/** Baseline: one whole render of `text` with marked and DOMPurify unguarded, as the old renderer did for its growing last block on every update. */
async function unguarded(text: string): Promise<number> {
  document.body.innerHTML = "";
  const container = document.createElement("div");
  document.body.append(container);
  await nextTask();
  const purify = createDOMPurify(window);
  const s = performance.now();
  container.replaceChildren(
    purify.sanitize(new Marked({ gfm: true }).parse(text) as string, { RETURN_DOM_FRAGMENT: true }),
  );
  void container.offsetHeight;
  return performance.now() - s;
}

/**
 * A reply of code blocks streamed as the element streams one (settledText, then
 * MarkdownStream.update(text, streaming)), `chunk` bytes per task, then the finished text once.
 * `highlight`: with the highlighter loaded (finished blocks coloured) or not (today's rendering).
 * Per streaming update and for the last one, timed through style/layout.
 */
async function code(
  text: string,
  chunk: number,
  highlight: boolean,
): Promise<{ updates: number[]; last: number; highlighted: number }> {
  document.body.innerHTML = "";
  const container = document.createElement("div");
  container.className = "bubble markdown";
  document.body.append(container);
  const md = new MarkdownStream(highlight ? { highlighter } : {});
  const updates: number[] = [];
  for (let end = Math.min(chunk, text.length); end < text.length; end = Math.min(end + chunk, text.length)) {
    await nextTask();
    const s = performance.now();
    applyBlocks(container, md.update(settledText(text.slice(0, end)), true));
    void container.offsetHeight;
    updates.push(performance.now() - s);
  }
  await nextTask();
  const s = performance.now();
  applyBlocks(container, md.update(text, false));
  void container.offsetHeight;
  return { updates, last: performance.now() - s, highlighted: container.querySelectorAll("code.hljs").length };
}

Object.assign(window, { __renderBench: run, __hostileBench: hostile, __unguardedBench: unguarded, __codeBench: code });
