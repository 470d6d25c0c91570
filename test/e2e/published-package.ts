// What the published package promises, in one place, for the tarball tests
// (packaging.test.ts: its files; consumer.test.ts: installed in a fresh project).
//
// To add an entry: add it to
// package.json `exports` as `{ "types": ..., "import": ... }`, add a row to MODULE_ENTRIES with
// a TypeScript file that uses it, and a PACKED rule if its files live somewhere new.
// `npm run check:package` picks the entry up from package.json on its own.

/**
 * The module entries (package.json exports with `types`), each with a consumer's TypeScript file
 * that imports it. The consumer test type-checks every file under bundler and node16 resolution,
 * and each uses a type only the real declarations have, with a `@ts-expect-error` that becomes an
 * error itself if the import resolves to `any`.
 */
export const MODULE_ENTRIES: { entry: string; consumerFile: string }[] = [
  {
    entry: ".",
    consumerFile: `
      import { AiChatStream, AiChatStreamEndEvent, defaultStrings } from "ai-chat-stream";
      AiChatStream.define("my-chat");
      // @ts-expect-error: a tag name is a string
      AiChatStream.define(42);
      const chat: AiChatStream = document.createElement("ai-chat-stream");
      chat.convexUrl = "https://happy-otter-123.convex.cloud";
      chat.heading = defaultStrings.heading;
      chat.addEventListener("ai-chat-stream-end", (event) => {
        const end: AiChatStreamEndEvent = event;
        // @ts-expect-error: a reply's status is one of the contract's statuses (convex/lib/validators)
        const status: "not-a-status" = end.status;
        console.log(status, end.text.length);
      });
    `,
  },
  {
    entry: "./define",
    consumerFile: `
      import { AiChatStream } from "ai-chat-stream/define";
      const chat = document.querySelector("ai-chat-stream");
      if (chat instanceof AiChatStream) chat.open = true;
      // @ts-expect-error: convexUrl is a string
      AiChatStream.prototype.convexUrl = 3210;
    `,
  },
  {
    entry: "./console",
    consumerFile: `
      import { AiChatConsole, AiChatConsoleSelectEvent, defaultConsoleStrings } from "ai-chat-stream/console";
      AiChatConsole.define("my-console");
      const console_: AiChatConsole = document.createElement("ai-chat-console");
      console_.convexUrl = "https://happy-otter-123.convex.cloud";
      console_.addEventListener("ai-chat-console-select", (event) => {
        const select: AiChatConsoleSelectEvent = event;
        console.log(select.threadId, Object.keys(defaultConsoleStrings).length);
      });
      // @ts-expect-error: AiChatConsole has no send()
      console_.send("hello");
    `,
  },
  {
    entry: "./console/define",
    consumerFile: `
      import { AiChatConsole, AiChatStream } from "ai-chat-stream/console/define";
      const tags: [typeof AiChatConsole, typeof AiChatStream] = [AiChatConsole, AiChatStream];
      // @ts-expect-error: define() takes a tag name, not an element
      tags[0].define(document.body);
    `,
  },
  {
    entry: "./convex.config",
    consumerFile: `
      import aiChat from "ai-chat-stream/convex.config";
      import { defineApp } from "convex/server";
      const app = defineApp();
      app.use(aiChat, { httpPrefix: "/chat/", env: { OPERATOR_SECRET: "0123456789abcdef0123456789abcdef" } });
      // @ts-expect-error: the component declares no such variable
      app.use(aiChat, { env: { NOT_A_VARIABLE: "x" } });
    `,
  },
  {
    entry: "./server",
    consumerFile: `
      import { AiChat, AI_CHAT_ENV, type AiChatComponent, type Identity } from "ai-chat-stream/server";
      declare const component: AiChatComponent;
      const aiChat = new AiChat(component, { authorize: async () => ({ userId: "user-1", operator: false }) });
      export const { create, get, listMine } = aiChat.threads();
      // @ts-expect-error: an identity's operator flag is a boolean
      const wrong: Identity = { userId: "user-1", operator: "yes" };
      console.log(Object.keys(AI_CHAT_ENV).length, wrong, create, get, listMine);
    `,
  },
  {
    entry: "./functions",
    consumerFile: `
      import { configGet, threadsCreate } from "ai-chat-stream/functions";
      console.log(configGet.isQuery, threadsCreate.isMutation);
      // @ts-expect-error: config:get is a query, not a mutation
      const notAMutation: typeof threadsCreate = configGet;
    `,
  },
  {
    entry: "./_generated/component.js",
    consumerFile: `
      import type { ComponentApi } from "ai-chat-stream/_generated/component.js";
      declare const aiChat: ComponentApi<"aiChat">;
      const create = aiChat.threads.create;
      // @ts-expect-error: the component has no such module
      console.log(create, aiChat.notAModule);
    `,
  },
];

/** Every file the tarball may hold, by rule, with the reason it ships; anything else fails the test. */
export const PACKED: { files: RegExp; why: string }[] = [
  { files: /^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/, why: "the manifest, and the documents npm shows" },
  {
    files: /^custom-elements\.json$/,
    why: "the elements' API for editors and docs tools (package.json customElements)",
  },
  {
    files: /^dist\/(ai-chat-stream|ai-chat-stream-define|ai-chat-console|ai-chat-console-define)\.js(\.map)?$/,
    why: "the ES entries, for bundlers",
  },
  { files: /^dist\/chunks\/[\w-]+\.js(\.map)?$/, why: "chunks the ES entries import (the chat, loaded on demand)" },
  {
    files: /^dist\/(ai-chat-stream\.iife|ai-chat-stream\.chat|ai-chat-console\.iife)\.js(\.map)?$/,
    why: "the script-tag files, for a CDN or a site's own folder",
  },
  {
    files: /^dist\/ai-chat-stream\.(locale\.[a-z]{2}|part\.\w+)\.js$/,
    why: "what the script-tag chat loads from beside itself when first needed: a language, a part (src/parts.ts)",
  },
  { files: /^dist\/types\/(src|convex)\/[\w./-]+\.d\.ts$/, why: "type declarations of the entries" },
  // Checked further: exactly the files of convex/ and app/ that git tracks, tests and .env files excepted.
  { files: /^convex\//, why: "the chat backend, a Convex component (./convex.config, ./server)" },
  { files: /^app\//, why: "the standalone app users deploy (the component and nothing else)" },
  { files: /^convex\.json$/, why: "tells the Convex CLI the standalone app's functions are in app/" },
];

/** Files that must never ship, whatever PACKED says, with the reason. */
export const NEVER_PACKED: { files: RegExp; why: string }[] = [
  { files: /(^|\/)\.env($|\.)/, why: "environment files hold secrets" },
  { files: /\.(test|spec)\.[cm]?[jt]sx?$/, why: "tests" },
  { files: /\.tsbuildinfo$/, why: "compiler state" },
  {
    files:
      /^(src|test|demo|bench|docs|scripts|local-backend|\.local-backend|\.convex-home|test-artifacts|node_modules|\.ci)\//,
    why: "sources, tests, demo, tooling, or local state: not what a user installs",
  },
];

/** Whether a convex/ or app/ file is one that must stay out of the package even though git tracks it. */
export const isUnpackedConvexFile = (path: string): boolean => NEVER_PACKED.some((rule) => rule.files.test(path));
