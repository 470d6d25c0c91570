import type { Id } from "../../convex/_generated/dataModel";
import { afterEach, describe, expect, test } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import { hashToken } from "../../convex/lib/access";
import { appendDelta } from "../../convex/lib/replies";
import {
  componentBody,
  drive,
  expectAtRest,
  expectCode,
  newChat,
  newThread,
  operatorSession,
  restoreEnv,
  send,
  setEnv,
  setup,
} from "./setup";

afterEach(restoreEnv);

describe("threads:create", () => {
  test("returns a thread ID and a new 256-bit base64url visitor token", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t, "https://shop.example");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const thread = await t.query(api.threads.get, { threadId, token });
    expect(thread).toMatchObject({
      _id: threadId,
      title: "New chat",
      status: "idle",
      origin: "https://shop.example",
      model: "demo",
      access: "visitor",
    });
    expect(thread.createdAt).toBe(thread.updatedAt);
  });

  test("stores only the token's hash", async () => {
    const t = setup();
    const { token } = await newThread(t);
    const stored = await t.run(async (ctx) =>
      JSON.stringify([await ctx.db.query("threads").collect(), await ctx.db.query("visitors").collect()]),
    );
    expect(stored).not.toContain(token);
  });

  test("reuses a given visitor token, so one visitor owns many threads", async () => {
    const t = setup();
    const first = await newThread(t);
    const second = await t.mutation(api.threads.create, { token: first.token });
    expect(second.token).toBe(first.token);
    const mine = await t.query(api.threads.listMine, { token: first.token });
    expect(mine.map((m) => m._id).sort()).toEqual([first.threadId, second.threadId].sort());
  });

  test("rejects a token that is not token-shaped as UNAUTHORIZED", async () => {
    const t = setup();
    await expectCode(t.mutation(api.threads.create, { token: "short" }), "UNAUTHORIZED");
  });

  test("TOO_MANY_THREADS past the per-visitor limit, naming the limit; deleting one frees a slot", async () => {
    setEnv({ MAX_THREADS_PER_VISITOR: "3" });
    const t = setup();
    const { token, threadId } = await newThread(t);
    await t.mutation(api.threads.create, { token });
    await t.mutation(api.threads.create, { token });
    const data = await expectCode(t.mutation(api.threads.create, { token }), "TOO_MANY_THREADS");
    expect(data.message).toBe("this visitor has 3 chats; the limit is 3");
    expect(data.limit).toBe(3);
    await t.mutation(api.threads.remove, { threadId, token });
    await t.mutation(api.threads.create, { token });
  });

  test("defaults to 50 threads per visitor token", async () => {
    const t = setup();
    const { token } = await newThread(t);
    for (let i = 1; i < 50; i++) await t.mutation(api.threads.create, { token });
    await expectCode(t.mutation(api.threads.create, { token }), "TOO_MANY_THREADS");
  });

  test("a signed-in visitor owns the thread across devices", async () => {
    const t = setup();
    const alice = { userId: "alice", operator: false };
    const { token: minted } = await t.mutation(internal.visitors.mint, { humanChecked: true });
    const { threadId } = await t.mutation(api.threads.create, { token: minted, identity: alice });
    const otherDevice = await t.query(api.threads.get, { threadId, identity: alice });
    expect(otherDevice.access).toBe("visitor");
    const mine = await t.query(api.threads.listMine, { identity: alice });
    expect(mine.map((m) => m._id)).toEqual([threadId]);
    const bob = { userId: "bob", operator: false };
    await expectCode(t.query(api.threads.get, { threadId, identity: bob }), "UNAUTHORIZED");
  });
});

describe("threads:listMine", () => {
  test("newest activity first, limited (default 20, max 100)", async () => {
    const t = setup();
    const { token, threadId: oldest } = await newThread(t);
    const ids = [oldest];
    for (let i = 0; i < 24; i++) ids.push((await t.mutation(api.threads.create, { token })).threadId);
    const page = await t.query(api.threads.listMine, { token });
    expect(page).toHaveLength(20);
    expect(page[0]._id).toBe(ids[ids.length - 1]);
    // Activity moves a thread to the top.
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    await send(t, oldest, token, "bump");
    const bumped = await t.query(api.threads.listMine, { token, limit: 2 });
    expect(bumped.map((b) => b._id)).toEqual([oldest, ids[ids.length - 1]]);
    expect(await t.query(api.threads.listMine, { token, limit: 1000 })).toHaveLength(25);
  });

  test("an unknown token owns nothing; no token and no identity is UNAUTHORIZED", async () => {
    const t = setup();
    await newThread(t);
    const stranger = (await newThread(setup())).token;
    expect(await t.query(api.threads.listMine, { token: stranger })).toEqual([]);
    await expectCode(t.query(api.threads.listMine, {}), "UNAUTHORIZED");
  });
});

describe("threads:remove", () => {
  test("deletes messages, deltas, observer tokens and component streams", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const { t, threadId, token, streamId } = await newChat();
    await (await drive(t, token, { streamId })).text();
    // The first reply is finished and at rest; the second is still streaming, three flushes in.
    await expectAtRest(t, streamId);
    const second = await send(t, threadId, token, "again");
    const begun = await t.mutation(internal.chat.begin, {
      streamId: second.streamId,
      tokenHash: await hashToken(token),
    });
    expect(begun.kind).toBe("start");
    await t.run(async (ctx) => {
      for (const piece of ["One. ", "Two. ", "Three. "]) await appendDelta(ctx, second.streamId, piece);
    });
    const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
    const count = () =>
      t.run(async (ctx) => ({
        threads: (await ctx.db.query("threads").collect()).length,
        messages: (await ctx.db.query("messages").collect()).length,
        deltas: (await ctx.db.query("deltas").collect()).length,
        shares: (await ctx.db.query("observerTokens").collect()).length,
      }));
    const before = await count();
    expect(before.messages).toBe(4);
    expect(before.deltas).toBe(3);
    expect((await componentBody(t, second.streamId)).status).toBe("streaming");

    await t.mutation(api.threads.remove, { threadId, token });
    await t.finishAllScheduledFunctions(() => {});
    expect(await count()).toEqual({ threads: 0, messages: 0, deltas: 0, shares: 0 });
    await expect(componentBody(t, streamId)).rejects.toThrow(/Stream not found/);
    await expect(componentBody(t, second.streamId)).rejects.toThrow(/Stream not found/);
    await expectCode(t.query(api.threads.get, { threadId, token }), "UNAUTHORIZED");
    await expectCode(t.query(api.messages.list, { threadId, token: observerToken }), "UNAUTHORIZED");
  });

  test("purges deltas in batches when a thread has many", async () => {
    const t = setup();
    await t.run(async (ctx) => {
      for (let seq = 0; seq < 600; seq++) await ctx.db.insert("deltas", { streamId: "s1", seq, start: seq, text: "x" });
      await ctx.db.insert("deltas", { streamId: "s2", seq: 0, start: 0, text: "y" });
      await ctx.db.insert("deltas", { streamId: "keep", seq: 0, start: 0, text: "z" });
    });
    await t.mutation(internal.threads.purgeDeltas, { streamIds: ["s1", "s2"] });
    await t.finishAllScheduledFunctions(() => {});
    const left = await t.run(async (ctx) => (await ctx.db.query("deltas").collect()).map((d) => d.streamId));
    expect(left).toEqual(["keep"]);
  });

  test("deletes a long thread in scheduled batches of at most 100 messages", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    await t.run(async (ctx) => {
      const id = ctx.db.normalizeId("threads", threadId)!;
      for (let i = 0; i < 250; i++) {
        await ctx.db.insert("messages", {
          threadId: id,
          role: "user",
          status: "done",
          text: `m${i}`,
          streamId: null,
          error: null,
          model: null,
          createdAt: i,
          updatedAt: i,
        });
      }
    });
    const messages = () => t.run(async (ctx) => (await ctx.db.query("messages").collect()).length);
    await t.mutation(api.threads.remove, { threadId, token });
    expect(await messages()).toBe(250); // the remove itself touches only the thread
    await t.mutation(internal.threads.purgeThread, { threadId: threadId as Id<"threads"> });
    expect(await messages()).toBe(150);
    await t.finishAllScheduledFunctions(() => {});
    expect(await messages()).toBe(0);
  });

  test("a reply streaming while its thread is deleted stops without errors", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "5" });
    const { t, threadId, token, streamId } = await newChat();
    const res = await drive(t, token, { streamId });
    const reader = res.body!.getReader();
    await reader.read();
    await t.mutation(api.threads.remove, { threadId, token });
    // The body ends (the driver noticed at its next flush) rather than running to the end.
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text.length).toBeLessThan(600);
  });
});

describe("threads:share and revokeShare", () => {
  test("an observer token reads the thread, read-only, until revoked", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
    expect(observerToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await t.query(api.threads.get, { threadId, token: observerToken })).access).toBe("observer");
    const [listed] = await t.query(api.threads.listShares, { threadId, token });
    await t.mutation(api.threads.revokeShare, { threadId, token, shareId: listed._id });
    await expectCode(t.query(api.threads.get, { threadId, token: observerToken }), "UNAUTHORIZED");
  });

  test("an operator can share, list and revoke by ID; revoking an unknown ID is a no-op", async () => {
    const t = setup();
    const session = await operatorSession(t);
    const { threadId } = await newThread(t);
    const { observerToken, shareId } = await t.mutation(api.threads.share, { threadId, token: session });
    expect((await t.query(api.messages.list, { threadId, token: observerToken })).length).toBe(0);
    await t.mutation(api.threads.revokeShare, { threadId, token: session, shareId: "x".repeat(32) });
    await t.mutation(api.threads.revokeShare, { threadId, token: session, shareId: threadId });
    expect((await t.query(api.threads.get, { threadId, token: observerToken })).access).toBe("observer");
    await t.mutation(api.threads.revokeShare, { threadId, token: session, shareId });
    await expectCode(t.query(api.threads.get, { threadId, token: observerToken }), "UNAUTHORIZED");
    const [listed] = await t.query(api.threads.listShares, { threadId, token: session });
    expect(listed).toMatchObject({ _id: shareId, revokedAt: expect.any(Number) });
    expect(JSON.stringify(listed)).not.toContain(observerToken);
  });

  test("an observer token of one thread cannot be revoked through another thread", async () => {
    const t = setup();
    const a = await newThread(t);
    const b = await t.mutation(api.threads.create, { token: a.token });
    const { observerToken, shareId } = await t.mutation(api.threads.share, { threadId: a.threadId, token: a.token });
    await t.mutation(api.threads.revokeShare, { threadId: b.threadId, token: a.token, shareId });
    expect((await t.query(api.threads.get, { threadId: a.threadId, token: observerToken })).access).toBe("observer");
  });
});
