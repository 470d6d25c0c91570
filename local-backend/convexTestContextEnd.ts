// convexTestContextBegin.ts's other half: Node's own `AsyncLocalStorage` again once convex-test is loaded.
import asyncHooks from "node:async_hooks";
import { syncBuiltinESMExports } from "node:module";
import { realAsyncLocalStorage } from "./convexTestContextBegin.js";

(asyncHooks as { AsyncLocalStorage: unknown }).AsyncLocalStorage = realAsyncLocalStorage;
syncBuiltinESMExports();
