// Every read and write, tried by every kind of caller.
import { afterEach, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import { drive, expectCode, OPERATOR_SECRET, restoreEnv, setEnv, setup, type T } from "./setup";

afterEach(restoreEnv);

type Caller =
  | "no token"
  | "wrong token"
  | "malformed token"
  | "another thread's token"
  | "observer token"
  | "revoked observer token"
  | "operator secret"
  | "operator identity"
  | "owner token"
  | "owner identity"
  | "other identity";

type Scene = { t: T; threadId: string; streamId: string; caller: { t: T; token?: string } };

async function scene(who: Caller): Promise<Scene> {
  setEnv({ OPERATOR_SECRET, DEMO_TOKEN_DELAY_MS: "0" });
  const t = setup();
  const owner = t.withIdentity({ subject: "owner" });
  const { threadId, token } = await owner.mutation(api.threads.create, {});
  const { streamId } = await owner.mutation(api.messages.send, { threadId, token, prompt: "hi" });
  const other = await t.mutation(api.threads.create, {});
  const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
  const revoked = (await t.mutation(api.threads.share, { threadId, token })).observerToken;
  await t.mutation(api.threads.revokeShare, { threadId, token, observerToken: revoked });
  const callers: Record<Caller, { t: T; token?: string }> = {
    "no token": { t },
    "wrong token": { t, token: "A".repeat(43) },
    "malformed token": { t, token: "not a token" },
    "another thread's token": { t, token: other.token },
    "observer token": { t, token: observerToken },
    "revoked observer token": { t, token: revoked },
    "operator secret": { t, token: OPERATOR_SECRET },
    "operator identity": { t: t.withIdentity({ subject: "op", role: "operator" }) },
    "owner token": { t, token },
    "owner identity": { t: owner },
    "other identity": { t: t.withIdentity({ subject: "mallory" }) },
  };
  return { t, threadId, streamId, caller: callers[who] };
}

const operations = {
  "threads:get": (s: Scene) => s.caller.t.query(api.threads.get, { threadId: s.threadId, token: s.caller.token }),
  "messages:list": (s: Scene) => s.caller.t.query(api.messages.list, { threadId: s.threadId, token: s.caller.token }),
  "messages:live": (s: Scene) => s.caller.t.query(api.messages.live, { threadId: s.threadId, token: s.caller.token }),
  "streams:read": (s: Scene) => s.caller.t.query(api.streams.read, { streamId: s.streamId, token: s.caller.token, cursor: 0 }),
  "streams:tail": (s: Scene) => s.caller.t.query(api.streams.tail, { streamId: s.streamId, token: s.caller.token }),
  "threads:share": (s: Scene) => s.caller.t.mutation(api.threads.share, { threadId: s.threadId, token: s.caller.token }),
  "threads:revokeShare": (s: Scene) =>
    s.caller.t.mutation(api.threads.revokeShare, { threadId: s.threadId, token: s.caller.token, observerToken: "B".repeat(43) }),
  "messages:send": async (s: Scene) => {
    await s.t.withIdentity({ subject: "owner" }).mutation(api.messages.stop, { threadId: s.threadId });
    return s.caller.t.mutation(api.messages.send, { threadId: s.threadId, token: s.caller.token, prompt: "again" });
  },
  "messages:stop": (s: Scene) => s.caller.t.mutation(api.messages.stop, { threadId: s.threadId, token: s.caller.token }),
  "threads:remove": (s: Scene) => s.caller.t.mutation(api.threads.remove, { threadId: s.threadId, token: s.caller.token }),
} as const;
type Operation = keyof typeof operations;

const READS: Operation[] = ["threads:get", "messages:list", "messages:live", "streams:read", "streams:tail"];
const SHARES: Operation[] = ["threads:share", "threads:revokeShare"];
const WRITES: Operation[] = ["messages:send", "messages:stop", "threads:remove"];

const allowed: Record<Caller, Operation[]> = {
  "no token": [],
  "wrong token": [],
  "malformed token": [],
  "another thread's token": [],
  "observer token": READS,
  "revoked observer token": [],
  "operator secret": [...READS, ...SHARES],
  "operator identity": [...READS, ...SHARES],
  "owner token": [...READS, ...SHARES, ...WRITES],
  "owner identity": [...READS, ...SHARES, ...WRITES],
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

describe("thread and stream IDs grant nothing", () => {
  test("a malformed thread ID is UNAUTHORIZED, exactly like a thread you cannot read", async () => {
    const s = await scene("owner token");
    const token = s.caller.token;
    const malformed = await expectCode(s.t.query(api.threads.get, { threadId: "nope", token }), "UNAUTHORIZED");
    const foreign = await expectCode(s.t.query(api.threads.get, { threadId: s.threadId, token: "C".repeat(43) }), "UNAUTHORIZED");
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
      ["operator secret", "operator"],
      ["operator identity", "operator"],
    ] as const) {
      const s = await scene(who);
      expect((await operations["threads:get"](s)).access).toBe(access);
    }
  });

  test("OPERATOR_SECRET unset means no token is an operator", async () => {
    const s = await scene("operator secret");
    setEnv({ OPERATOR_SECRET: undefined });
    await expectCode(operations["threads:get"](s), "UNAUTHORIZED");
  });

  test("OPERATOR_SECRET need not be token-shaped, and a new value applies at once (the old one stops working)", async () => {
    const s = await scene("operator secret");
    expect((await operations["threads:get"](s)).access).toBe("operator");
    setEnv({ OPERATOR_SECRET: "a secret, with spaces!" });
    await expectCode(operations["threads:get"](s), "UNAUTHORIZED");
    const get = (token: string) => s.t.query(api.threads.get, { threadId: s.threadId, token });
    expect((await get("a secret, with spaces!")).access).toBe("operator");
    await expectCode(get("a secret, with spaces"), "UNAUTHORIZED");
  });

  test("a read hashes the token once, whoever the caller is", async () => {
    const digest = crypto.subtle.digest.bind(crypto.subtle);
    let calls = 0;
    const counting: typeof crypto.subtle.digest = (...args) => {
      calls++;
      return digest(...args);
    };
    for (const who of ["owner token", "observer token", "operator secret"] as const) {
      const s = await scene(who);
      await operations["streams:read"](s); // the operator secret's hash is computed once, then kept
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
    const other = await s.t.mutation(api.threads.create, {});
    const foreign = await drive(s.t, other.token, { streamId: s.streamId });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ code: "NOT_FOUND" });
    const unknown = await drive(s.t, "D".repeat(43), { streamId: s.streamId });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ code: "UNAUTHORIZED" });
    const secret = await drive(s.t, OPERATOR_SECRET, { streamId: s.streamId });
    expect(secret.status).toBe(401);
  });

  test("a signed-in visitor on a second device drives with that device's token", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const alice = t.withIdentity({ subject: "alice" });
    const { threadId } = await alice.mutation(api.threads.create, {});
    const deviceB = (await setup().mutation(api.threads.create, {})).token; // a token this deployment never saw
    const { streamId } = await alice.mutation(api.messages.send, { threadId, token: deviceB, prompt: "from B" });
    const res = await drive(t, deviceB, { streamId });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("from B");
  });
});
