// Imported by convexTestInternals.ts just before convex-test, and convexTestContextEnd.ts just
// after: while convex-test's module is evaluated, `AsyncLocalStorage` from "node:async_hooks" is
// `SlotStorage`, so its six storages are slots of the backend's one (context.ts) instead of six
// storages Node 20 copies onto every promise. They keep every behaviour convex-test uses: `run`,
// `getStore` and `exit`. Nothing else is loaded in between (convex-test's own imports keep
// theirs: they are evaluated before it). If convex-test was loaded earlier (a test imported it
// first), it keeps Node's storages: slower, the same behaviour.
import asyncHooks from "node:async_hooks";
import { syncBuiltinESMExports } from "node:module";
import { SlotStorage } from "./context.js";

export const realAsyncLocalStorage = asyncHooks.AsyncLocalStorage;
(asyncHooks as { AsyncLocalStorage: unknown }).AsyncLocalStorage = SlotStorage;
syncBuiltinESMExports();
