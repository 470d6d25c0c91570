// Code the chat needs only on some pages, loaded when first needed instead of with the chat:
// - `humanCheck`: the Turnstile check, only with `turnstile-site-key`, at a new visitor's first send;
// - `earlier`: paging in older history on scroll, once a thread has more than one page;
// - `highlight`: token colours for code, at the first fenced block that names its language;
// - `history`: the visitor's past conversations, at the first click on the history button;
// - `suggestions`: starter prompts, when the empty state first shows with them;
// - `handoff`: human handoff, with `human-handoff`, `requestHuman()` or a thread an operator wrote in.
// - `attachments`: a message's files, once one has them;
// - `actions`: the row under finished replies (copy, rating, regenerate), when the first one renders.
// - `attach`: the composer's files (chips, upload, scaling), at the first attach click, drop, paste or attach().
// A dynamic import() per part, which the ES build and bundlers split into a chunk of its own. The
// script-tag builds replace this module with parts.script.ts, which loads the part as a classic
// script from beside the chat (dist/ai-chat-stream.part.<name>.js).
export type Parts = {
  humanCheck: typeof import("./reply/human-check.js");
  earlier: typeof import("./controllers/earlier.js");
  attachments: typeof import("./attach/attachments.js");
  highlight: typeof import("./markdown/highlight.js");
  history: typeof import("./history/history.js");
  suggestions: typeof import("./chat/suggestions.js");
  handoff: typeof import("./handoff/visitor.js");
  actions: typeof import("./actions/message-actions.js");
  attach: typeof import("./attach/compose.js");
};

const PARTS: { [K in keyof Parts]: () => Promise<Parts[K]> } = {
  humanCheck: () => import("./reply/human-check.js"),
  earlier: () => import("./controllers/earlier.js"),
  attachments: () => import("./attach/attachments.js"),
  highlight: () => import("./markdown/highlight.js"),
  history: () => import("./history/history.js"),
  suggestions: () => import("./chat/suggestions.js"),
  handoff: () => import("./handoff/visitor.js"),
  actions: () => import("./actions/message-actions.js"),
  attach: () => import("./attach/compose.js"),
};

/** The module of part `name`, loaded once. */
export const loadPart = <K extends keyof Parts>(name: K): Promise<Parts[K]> => PARTS[name]();
