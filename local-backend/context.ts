// The local backend's async context: every value it follows through a call (its scope, the request,
// the function running, the slot held, ...) in ONE AsyncLocalStorage.
//
// On Node 20 each enabled AsyncLocalStorage is copied onto every promise and async resource the
// process creates (async_hooks `init`: one property per storage, per promise). A streamed reply
// makes dozens of promises per token (web streams, the AI SDK), so with a storage per value the
// copying and the garbage it leaves were about a fifth of the backend's CPU (bench row 10's
// profile: `_propagate`, `promiseInitHook`, and the collector). Here a context is one immutable
// frame holding every slot's value; `run` makes a new frame with one slot changed, so the values
// seen inside and after a call are exactly those of separate storages.
import { AsyncLocalStorage } from "node:async_hooks";

type Frame = Readonly<Record<symbol, unknown>>;

const frames = new AsyncLocalStorage<Frame>();

/** One value followed through async calls: `AsyncLocalStorage`'s `run` and `getStore`. */
export class ContextSlot<T> {
  protected readonly key: symbol;

  /** `name` shows in a debugger only. */
  constructor(name: string) {
    this.key = Symbol(name);
  }

  getStore(): T | undefined {
    return frames.getStore()?.[this.key] as T | undefined;
  }

  /** Runs `fn` with this slot set to `value` (every other slot as it is now). */
  run<R>(value: T | undefined, fn: () => R): R {
    return frames.run({ ...frames.getStore(), [this.key]: value }, fn);
  }
}

/**
 * A slot with the part of `AsyncLocalStorage`'s interface convex-test 0.0.60 uses, to stand in for
 * the storages it makes (convexTestContextBegin.ts): `run(store, fn, ...args)`, `getStore()`, and
 * `exit(fn, ...args)` (this slot unset for the call).
 */
export class SlotStorage<T> extends ContextSlot<T> {
  constructor() {
    super("convex-test");
  }

  override run<R, A extends unknown[] = []>(store: T | undefined, fn: (...args: A) => R, ...args: A): R {
    return super.run(store, () => fn(...args));
  }

  exit<R, A extends unknown[] = []>(fn: (...args: A) => R, ...args: A): R {
    return super.run(undefined, () => fn(...args));
  }
}
