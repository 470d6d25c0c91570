// Code the chat needs only on some pages, loaded when first needed instead of with the chat: the
// Turnstile check (`humanCheck`, only with `turnstile-site-key`, at a new visitor's first send) and
// paging in older history on scroll (`earlier`, once a thread has more than one page), token
// colours for code (`highlight`, at the first fenced block that names its language) and the
// visitor's past conversations (`history`, at the first click on the history button), starter
// prompts (`suggestions`, when the empty state first shows with them), the row under finished
// replies (`actions`: copy, rating, regenerate, when the first one renders). A dynamic import() per part, which the ES build and bundlers split into a chunk of its
// own. The script-tag builds replace this module with parts.script.ts, which loads the part as a
// classic script from beside the chat (dist/ai-chat-stream.part.<name>.js).
export type Parts = {
  humanCheck: typeof import("./reply/human-check.js");
  earlier: typeof import("./controllers/earlier.js");
  highlight: typeof import("./markdown/highlight.js");
  history: typeof import("./history/history.js");
  suggestions: typeof import("./chat/suggestions.js");
  actions: typeof import("./actions/message-actions.js");
};

const PARTS: { [K in keyof Parts]: () => Promise<Parts[K]> } = {
  humanCheck: () => import("./reply/human-check.js"),
  earlier: () => import("./controllers/earlier.js"),
  highlight: () => import("./markdown/highlight.js"),
  history: () => import("./history/history.js"),
  suggestions: () => import("./chat/suggestions.js"),
  actions: () => import("./actions/message-actions.js"),
};

/** The module of part `name`, loaded once. */
export const loadPart = <K extends keyof Parts>(name: K): Promise<Parts[K]> => PARTS[name]();
