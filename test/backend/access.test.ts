// Every read and write, tried by every kind of caller.
import { afterEach, describe, expect, test } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import { hashToken } from "../../convex/lib/access";
import type { Identity } from "../../convex/lib/validators";
import { drive, expectCode, newThread, OPERATOR_SECRET, restoreEnv, setEnv, setup, started, type T } from "./setup";

afterEach(restoreEnv);

type Caller =
  | "no token"
  | "wrong token"
  | "malformed token"
  | "another thread's token"
  | "observer token"
  | "revoked observer token"
  | "expired observer token"
  | "operator secret"
  | "near-miss operator secret"
  | "operator session"
  | "signed-out operator session"
  | "expired operator session"
  | "operator identity"
  | "owner token"
  | "owner identity"
  | "other identity";

/** Signs in as an operator; returns the session token. */
async function signIn(t: T): Promise<string> {
  const result = await t.mutation(api.operator.signIn, { secret: OPERATOR_SECRET, name: "Ops" });
  if (!result.ok) throw new Error(result.message);
  return result.sessionToken;
}

/** Moves a token's expiry into the past, as the clock passing it would. */
async function expire(t: T, table: "observerTokens" | "operatorSessions", token: string): Promise<void> {
  const tokenHash = await hashToken(token);
  await t.run(async (ctx) => {
    const row = await ctx.db
      .query(table)
      .withIndex("by_tokenHash", (q) => q.eq("tokenHash", tokenHash))
      .unique();
    await ctx.db.patch(row!._id, { expiresAt: Date.now() - 1 });
  });
}

/** A caller: its token, and the identity the host's wrappers would pass (`identity`). */
type Scene = {
  t: T;
  threadId: string;
  streamId: string;
  messageId: string;
  caller: { token?: string; identity?: Identity };
};

const OWNER: Identity = { userId: "owner", operator: false };

async function scene(who: Caller): Promise<Scene> {
  setEnv({ OPERATOR_SECRET, DEMO_TOKEN_DELAY_MS: "0" });
  const t = setup();
  const { token: minted } = await t.mutation(internal.visitors.mint, { humanChecked: true });
  const { threadId, token } = await t.mutation(api.threads.create, { token: minted, identity: OWNER });
  const { streamId, assistantMessageId } = started(
    await t.mutation(api.messages.send, { threadId, token, prompt: "hi", identity: OWNER }),
  );
  const other = await newThread(t);
  const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
  const revokedShare = await t.mutation(api.threads.share, { threadId, token });
  await t.mutation(api.threads.revokeShare, { threadId, token, shareId: revokedShare.shareId });
  const revoked = revokedShare.observerToken;
  const expiredShare = await t.mutation(api.threads.share, { threadId, token, expiresInMs: 1000 });
  await expire(t, "observerTokens", expiredShare.observerToken);
  const session = await signIn(t);
  const signedOut = await signIn(t);
  await t.mutation(api.operator.signOut, { token: signedOut });
  const expiredSession = await signIn(t);
  await expire(t, "operatorSessions", expiredSession);
  const callers: Record<Caller, Scene["caller"]> = {
    "no token": {},
    "wrong token": { token: "A".repeat(43) },
    "malformed token": { token: "not a token" },
    "another thread's token": { token: other.token },
    "observer token": { token: observerToken },
    "revoked observer token": { token: revoked },
    "expired observer token": { token: expiredShare.observerToken },
    "operator secret": { token: OPERATOR_SECRET },
    "near-miss operator secret": { token: OPERATOR_SECRET.slice(0, -1) + "X" },
    "operator session": { token: session },
    "signed-out operator session": { token: signedOut },
    "expired operator session": { token: expiredSession },
    "operator identity": { identity: { userId: "op", operator: true } },
    "owner token": { token },
    "owner identity": { identity: OWNER },
    "other identity": { identity: { userId: "mallory", operator: false } },
  };
  return { t, threadId, streamId, messageId: assistantMessageId, caller: callers[who] };
}

const operations = {
  "threads:get": (s: Scene) => s.t.query(api.threads.get, { threadId: s.threadId, ...s.caller }),
  "messages:list": (s: Scene) => s.t.query(api.messages.list, { threadId: s.threadId, ...s.caller }),
  "messages:live": (s: Scene) => s.t.query(api.messages.live, { threadId: s.threadId, ...s.caller }),
  "streams:read": (s: Scene) => s.t.query(api.streams.read, { streamId: s.streamId, ...s.caller, cursor: 0 }),
  "streams:tail": (s: Scene) => s.t.query(api.streams.tail, { streamId: s.streamId, ...s.caller }),
  "threads:share": (s: Scene) => s.t.mutation(api.threads.share, { threadId: s.threadId, ...s.caller }),
  "threads:revokeShare": (s: Scene) =>
    s.t.mutation(api.threads.revokeShare, {
      threadId: s.threadId,
      ...s.caller,
      shareId: "B".repeat(32),
    }),
  "threads:listShares": (s: Scene) => s.t.query(api.threads.listShares, { threadId: s.threadId, ...s.caller }),
  "messages:send": async (s: Scene) => {
    await s.t.mutation(api.messages.stop, { threadId: s.threadId, identity: OWNER });
    return s.t.mutation(api.messages.send, { threadId: s.threadId, ...s.caller, prompt: "again" });
  },
  "messages:stop": (s: Scene) => s.t.mutation(api.messages.stop, { threadId: s.threadId, ...s.caller }),
  "threads:remove": (s: Scene) => s.t.mutation(api.threads.remove, { threadId: s.threadId, ...s.caller }),
  "handoff:state": (s: Scene) => s.t.query(api.handoff.state, { threadId: s.threadId, ...s.caller }),
  "handoff:takeOver": (s: Scene) => s.t.mutation(api.handoff.takeOver, { threadId: s.threadId, ...s.caller }),
  "handoff:reply": (s: Scene) =>
    s.t.mutation(api.handoff.reply, { threadId: s.threadId, ...s.caller, text: "a person here" }),
  "handoff:handBack": async (s: Scene) => {
    const operator = { identity: { userId: "op", operator: true } };
    await s.t.mutation(api.handoff.takeOver, { threadId: s.threadId, ...operator });
    return s.t.mutation(api.handoff.handBack, { threadId: s.threadId, ...s.caller, force: true });
  },
  "handoff:requestHuman": (s: Scene) => s.t.mutation(api.handoff.requestHuman, { threadId: s.threadId, ...s.caller }),
  "handoff:typing": (s: Scene) => s.t.mutation(api.handoff.typing, { threadId: s.threadId, ...s.caller }),
  "handoff:needsHuman": (s: Scene) => s.t.query(api.handoff.needsHuman, { ...s.caller }),
  "handoff:heartbeat": (s: Scene) => s.t.mutation(api.handoff.heartbeat, { ...s.caller }),
  // Rating and regenerating need a finished reply: the owner stops the pending one first.
  "feedback:rate": async (s: Scene) => {
    await s.t.mutation(api.messages.stop, { threadId: s.threadId, identity: OWNER });
    return s.t.mutation(api.feedback.rate, { threadId: s.threadId, ...s.caller, messageId: s.messageId, rating: "up" });
  },
  "messages:retry": async (s: Scene) => {
    await s.t.mutation(api.messages.stop, { threadId: s.threadId, identity: OWNER });
    return s.t.mutation(api.messages.retry, { threadId: s.threadId, ...s.caller, messageId: s.messageId });
  },
  "feedback:list": (s: Scene) =>
    s.t.query(api.feedback.list, { ...s.caller, paginationOpts: { numItems: 10, cursor: null } }),
  "operator:searchThreads": (s: Scene) => s.t.query(api.operator.searchThreads, { ...s.caller, text: "hello" }),
  "operator:removeThread": (s: Scene) => s.t.mutation(api.operator.removeThread, { ...s.caller, threadId: s.threadId }),
} as const;
type Operation = keyof typeof operations;

const READS: Operation[] = [
  "threads:get",
  "messages:list",
  "messages:live",
  "streams:read",
  "streams:tail",
  "handoff:state",
];
const SHARES: Operation[] = ["threads:share", "threads:revokeShare", "threads:listShares"];
const WRITES: Operation[] = [
  "messages:send",
  "messages:stop",
  "threads:remove",
  "handoff:requestHuman",
  "feedback:rate",
  "messages:retry",
];
/** Who answers, and writing as a person: operators only (a visitor or observer never). */
const HANDOFF: Operation[] = [
  "handoff:takeOver",
  "handoff:reply",
  "handoff:handBack",
  "handoff:typing",
  "handoff:needsHuman",
  "handoff:heartbeat",
];
/** Reads across every thread, and the console's delete: operators only. */
const OPERATOR_READS: Operation[] = ["feedback:list", "operator:searchThreads", "operator:removeThread"];

const allowed: Record<Caller, Operation[]> = {
  "no token": [],
  "wrong token": [],
  "malformed token": [],
  "another thread's token": [],
  "observer token": READS,
  "revoked observer token": [],
  "expired observer token": [],
  // The secret is accepted only by operator:signIn: no read answers differently for it or a near miss.
  "operator secret": [],
  "near-miss operator secret": [],
  "operator session": [...READS, ...SHARES, ...HANDOFF, ...OPERATOR_READS],
  "signed-out operator session": [],
  "expired operator session": [],
  "operator identity": [...READS, ...SHARES, ...HANDOFF, ...OPERATOR_READS],
  "owner token": [...READS, ...SHARES, ...WRITES, "handoff:typing"],
  "owner identity": [...READS, ...SHARES, ...WRITES, "handoff:typing"],
  "other identity": [],
};

const cases = (Object.keys(allowed) as Caller[]).flatMap((caller) =>
  (Object.keys(operations) as Operation[]).map((op) => ({ caller, op, ok: allowed[caller].includes(op) })),
);

describe("access matrix", () => {
  test.each(cases)("$caller → $op: allowed=$ok", async ({ caller, op, ok }) => {
    const s = await scene(caller);
    if (ok) await operations[op](s);
    else {
      const data = await expectCode(operations[op](s), "UNAUTHORIZED");
      expect(data.message).toBe("You do not have access to this chat.");
    }
  });
});

// The widget's history list (threads:listMine) and its delete (threads:remove, in the matrix
// above): a caller lists the owner's thread only with the owner's token or identity, and no
// kind of token or identity widens the list to anyone else's.
describe("history list by caller", () => {
  const owners: Caller[] = ["owner token", "owner identity"];
  test.each(Object.keys(allowed) as Caller[])("%s lists the owner's thread only when it is the owner", async (who) => {
    const s = await scene(who);
    const listed = s.t.query(api.threads.listMine, { ...s.caller });
    if (who === "no token") {
      await expectCode(listed, "UNAUTHORIZED");
      return;
    }
    const ids = (await listed).map((thread) => thread._id);
    expect(ids.includes(s.threadId)).toBe(owners.includes(who));
    // Nothing of anyone else's either: every thread listed belongs to the caller.
    if (!owners.includes(who) && who !== "another thread's token") expect(ids).toEqual([]);
  });
});

describe("thread and stream IDs grant nothing", () => {
  test("a malformed thread ID is UNAUTHORIZED, exactly like a thread you cannot read", async () => {
    const s = await scene("owner token");
    const token = s.caller.token;
    const malformed = await expectCode(s.t.query(api.threads.get, { threadId: "nope", token }), "UNAUTHORIZED");
    const foreign = await expectCode(
      s.t.query(api.threads.get, { threadId: s.threadId, token: "C".repeat(43) }),
      "UNAUTHORIZED",
    );
    expect(malformed).toEqual(foreign);
    await expectCode(s.t.query(api.messages.list, { threadId: s.streamId, token }), "UNAUTHORIZED");
    await expectCode(s.t.query(api.streams.read, { streamId: "nope", token, cursor: 0 }), "UNAUTHORIZED");
    await expectCode(s.t.query(api.streams.read, { streamId: s.threadId, token, cursor: 0 }), "UNAUTHORIZED");
    await expectCode(s.t.query(api.messages.live, { threadId: s.streamId, token }), "UNAUTHORIZED");
    await expectCode(s.t.query(api.streams.tail, { streamId: "nope", token }), "UNAUTHORIZED");
    await expectCode(s.t.query(api.streams.tail, { streamId: s.threadId, token }), "UNAUTHORIZED");
  });

  test("the access field says how the caller reads", async () => {
    for (const [who, access] of [
      ["owner token", "visitor"],
      ["observer token", "observer"],
      ["operator session", "operator"],
      ["operator identity", "operator"],
    ] as const) {
      const s = await scene(who);
      expect((await operations["threads:get"](s)).access).toBe(access);
    }
  });

  test("a read hashes the token once, whoever the caller is", async () => {
    const digest = crypto.subtle.digest.bind(crypto.subtle);
    let calls = 0;
    const counting: typeof crypto.subtle.digest = (...args) => {
      calls++;
      return digest(...args);
    };
    for (const who of ["owner token", "observer token", "operator session"] as const) {
      const s = await scene(who);
      crypto.subtle.digest = counting;
      try {
        calls = 0;
        await operations["streams:read"](s);
        await operations["messages:list"](s);
        expect(calls, who).toBe(2);
      } finally {
        crypto.subtle.digest = digest;
      }
    }
  });
});

describe("POST /chat-stream by caller", () => {
  test("the owner's token drives; observer, another visitor's and unknown tokens cannot", async () => {
    const s = await scene("observer token");
    const observer = await drive(s.t, s.caller.token!, { streamId: s.streamId });
    expect(observer.status).toBe(401);
    const other = await newThread(s.t);
    const foreign = await drive(s.t, other.token, { streamId: s.streamId });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ code: "NOT_FOUND" });
    const unknown = await drive(s.t, "D".repeat(43), { streamId: s.streamId });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ code: "UNAUTHORIZED" });
    const secret = await drive(s.t, OPERATOR_SECRET, { streamId: s.streamId });
    expect(secret.status).toBe(401);
  });

  test("a signed-in visitor's second device gets its own minted token; a token the deployment never issued is refused and not stored", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const alice: Identity = { userId: "alice", operator: false };
    const { token: minted } = await t.mutation(internal.visitors.mint, { humanChecked: true });
    const { threadId } = await t.mutation(api.threads.create, { token: minted, identity: alice });
    // Issue 20, problem 3: a made-up token sent with a valid identity used to be stored as a visitor.
    const madeUp = "B".repeat(43);
    await expectCode(
      t.mutation(api.messages.send, { threadId, token: madeUp, prompt: "from B", identity: alice }),
      "UNAUTHORIZED",
    );
    const stored = await t.run(async (ctx) => (await ctx.db.query("visitors").collect()).map((v) => v.tokenHash));
    expect(stored).not.toContain(await hashToken(madeUp));
    expect((await drive(t, madeUp, { streamId: "anything" })).status).toBe(401);
    // The second device's token is minted by the server (as POST /chat-stream without one does).
    const deviceB = (await t.mutation(internal.visitors.mint, { humanChecked: true })).token;
    const { streamId } = await t.mutation(api.messages.send, {
      threadId,
      token: deviceB,
      prompt: "from B",
      identity: alice,
    });
    const res = await drive(t, deviceB, { streamId });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("from B");
  });
});
