// Code the chat needs only on some pages, loaded when first needed instead of with the chat:
// today the Turnstile check (`humanCheck`, only with `turnstile-site-key`, at a new visitor's first
// send). A dynamic import() per part, which the ES build and bundlers split into a chunk of its
// own. The script-tag builds replace this module with parts.script.ts, which loads the part as a
// classic script from beside the chat (dist/ai-chat-stream.part.<name>.js).
export type Parts = {
  humanCheck: typeof import("./reply/human-check.js");
};

const PARTS: { [K in keyof Parts]: () => Promise<Parts[K]> } = {
  humanCheck: () => import("./reply/human-check.js"),
};

/** The module of part `name`, loaded once. */
export const loadPart = <K extends keyof Parts>(name: K): Promise<Parts[K]> => PARTS[name]();
