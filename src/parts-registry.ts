// Where the script-tag build's part files (dist/ai-chat-stream.part.<name>.js) put their module:
// one object on `globalThis` under a registered symbol, so no global name is taken and the chat
// and the console's single file find the same one.
import type { Parts } from "./parts.js";

const PARTS_KEY = Symbol.for("ai-chat-stream.parts");

type WithParts = { [PARTS_KEY]?: Partial<Parts> };

export function partsRegistry(): Partial<Parts> {
  const g = globalThis as WithParts;
  return (g[PARTS_KEY] ??= {});
}
