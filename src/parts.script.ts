// parts.ts for the script-tag builds (vite.config.ts swaps it in for the chat script and the
// console's single file): each part is a classic script beside the chat,
// dist/ai-chat-stream.part.<name>.js, that puts its module in parts-registry.ts.
import { loadBeside } from "./beside-script.js";
import type { Parts } from "./parts.js";
import { partsRegistry } from "./parts-registry.js";

export const loadPart = <K extends keyof Parts>(name: K): Promise<Parts[K]> =>
  loadBeside<Parts[K]>(`ai-chat-stream.part.${name}.js`, () => partsRegistry()[name] as Parts[K] | undefined);
