// The local backend's values followed through async calls share one AsyncLocalStorage
// (local-backend/context.ts); each slot must still behave as a storage of its own.
import { AsyncLocalStorage } from "node:async_hooks";
import { setImmediate as tick } from "node:timers/promises";
import { anyApi } from "convex/server";
import { describe, expect, test } from "vitest";
import { ContextSlot, SlotStorage } from "../../local-backend/context.js";
import { useFixture } from "./helpers.js";

const { http } = useFixture();

describe("ContextSlot", () => {
  test("a slot set inside another keeps the outer one's value, across awaits, and ends with its call", async () => {
    const outer = new ContextSlot<string>("outer");
    const inner = new ContextSlot<number>("inner");
    expect(outer.getStore()).toBeUndefined();
    const seen = await outer.run("a", async () => {
      const during = await inner.run(1, async () => {
        await tick();
        return [outer.getStore(), inner.getStore()];
      });
      await tick();
      return { during, after: [outer.getStore(), inner.getStore()] };
    });
    expect(seen).toEqual({ during: ["a", 1], after: ["a", undefined] });
    expect([outer.getStore(), inner.getStore()]).toEqual([undefined, undefined]);
  });

  test("setting a slot again shadows it for that call only; another slot set inside keeps it", async () => {
    const slot = new ContextSlot<string>("slot");
    const other = new ContextSlot<boolean>("other");
    const seen = await slot.run("outer", () =>
      slot.run("inner", () => other.run(true, async () => (await tick(), [slot.getStore(), other.getStore()]))),
    );
    expect(seen).toEqual(["inner", true]);
    expect(slot.run("x", () => slot.getStore())).toBe("x");
  });

  test("calls running at once each see their own values", async () => {
    const slot = new ContextSlot<number>("slot");
    const other = new ContextSlot<string>("other");
    const seen = await Promise.all(
      [1, 2, 3].map((n) =>
        slot.run(n, () =>
          other.run(`#${n}`, async () => {
            const values: unknown[] = [];
            for (let i = 0; i < 3; i++) {
              await tick();
              values.push([slot.getStore(), other.getStore()]);
            }
            return values;
          }),
        ),
      ),
    );
    expect(seen).toEqual([1, 2, 3].map((n) => Array(3).fill([n, `#${n}`])));
  });

  test("AsyncLocalStorage.snapshot() restores every slot as it was", async () => {
    const slot = new ContextSlot<string>("slot");
    const other = new ContextSlot<string>("other");
    const restore = slot.run("then", () => AsyncLocalStorage.snapshot());
    const seen = await slot.run("now", () =>
      other.run("set later", () => restore(() => [slot.getStore(), other.getStore()])),
    );
    expect(seen).toEqual(["then", undefined]);
  });

  test("a timer armed inside a call runs with that call's values", async () => {
    const slot = new ContextSlot<string>("slot");
    const seen = await new Promise((resolve) => slot.run("armed", () => setTimeout(() => resolve(slot.getStore()), 1)));
    expect(seen).toBe("armed");
  });
});

describe("SlotStorage (convex-test's storages)", () => {
  test("run passes its arguments, exit unsets only its own slot for the call and what it starts", async () => {
    const storage = new SlotStorage<string>();
    const other = new ContextSlot<string>("other");
    expect(storage.run("a", (x: number, y: number) => [storage.getStore(), x + y], 1, 2)).toEqual(["a", 3]);
    const seen = await other.run("kept", () =>
      storage.run("set", () =>
        storage.exit(async (suffix: string) => {
          await tick();
          return [storage.getStore(), other.getStore(), suffix];
        }, "!"),
      ),
    );
    expect(seen).toEqual([undefined, "kept", "!"]);
  });
});

describe("the backend's async context", () => {
  test("one storage is copied onto each promise a function makes: the backend's and convex-test's values are its slots", async () => {
    // Node 20 copies every enabled AsyncLocalStorage onto every promise; convex-test alone makes
    // six, the backend had seven more.
    expect(await http().query(anyApi.runtime.asyncStorages, {})).toBe(1);
  });
});
