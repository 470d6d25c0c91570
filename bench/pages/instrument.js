// Bench instrumentation, injected before the widget loads (page.addInitScript): timestamps the
// POST /chat-stream and its first body chunk, and every change of the assistant replies' text
// in the element's shadow DOM (MutationObserver: the moment text is in the DOM, before paint).
(() => {
  const realFetch = window.fetch.bind(window);
  const bench = (window.__bench = { posts: [], samples: [], events: [], realFetch });
  for (const type of ["ai-chat-stream-start", "ai-chat-stream-end", "ai-chat-error"]) {
    document.addEventListener(type, (e) =>
      bench.events.push({
        type,
        t: performance.now(),
        streamId: e.streamId,
        status: e.status,
        code: e.code,
        message: e.message,
      }),
    );
  }
  window.fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!url.endsWith("/chat-stream")) return realFetch(input, init);
    const post = { start: performance.now(), headers: NaN, firstByte: NaN, end: NaN, chunks: [] };
    const decoder = new TextDecoder();
    let received = 0;
    bench.posts.push(post);
    const res = await realFetch(input, init);
    post.headers = performance.now();
    if (!res.body) return res;
    const tap = new TransformStream({
      transform(chunk, controller) {
        if (Number.isNaN(post.firstByte)) post.firstByte = performance.now();
        received += decoder.decode(chunk, { stream: true }).length;
        // Cumulative characters of the body and when they arrived (wall clock, sub-ms).
        post.chunks.push([received, performance.timeOrigin + performance.now()]);
        controller.enqueue(chunk);
      },
      flush() {
        post.end = performance.now();
      },
    });
    return new Response(res.body.pipeThrough(tap), {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };

  /** A bubble's text without the screen-reader-only label. */
  const replyText = (bubble) => {
    let text = "";
    for (const node of bubble.childNodes) {
      if (node.nodeType === Node.COMMENT_NODE || node.classList?.contains("sr-only")) continue;
      text += node.textContent;
    }
    return text;
  };
  let last = "";
  const sample = (root) => {
    const lens = Array.from(root.querySelectorAll(".row.assistant .bubble.markdown"), (b) => replyText(b).length);
    const key = lens.join(",");
    if (key === last) return;
    last = key;
    const t = performance.now();
    bench.samples.push({ t, wall: performance.timeOrigin + t, lens });
  };
  const attach = () => {
    const host = document.querySelector("ai-chat-stream");
    if (!host || !host.shadowRoot) return setTimeout(attach, 5);
    const root = host.shadowRoot;
    new MutationObserver(() => sample(root)).observe(root, { subtree: true, childList: true, characterData: true });
    sample(root);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", attach);
  else attach();
})();
