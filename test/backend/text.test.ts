// Text the deployment stores from a person: cut at code-point boundaries, cleaned of controls;
// and the number arguments of every public function, refused with BAD_REQUEST when unusable.
import { afterEach, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import { clip, operatorName, singleLine, titleFromPrompt, wellFormed } from "../../convex/lib/text";
import { chat, expectCode, newChat, newThread, operatorSession, restoreEnv, setEnv, setup } from "./setup";

afterEach(restoreEnv);

const EMOJI = "😀"; // two UTF-16 units
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// U+202E RIGHT-TO-LEFT OVERRIDE and its friends: they make "txt.exe" show as "exe.txt".
const BIDI = [
  "\u202a",
  "\u202b",
  "\u202c",
  "\u202d",
  "\u202e",
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069",
  "\u200e",
  "\u200f",
  "\u061c",
];

describe("cutting at code-point boundaries", () => {
  test("clip never keeps half of a surrogate pair", () => {
    for (let max = 0; max <= 6; max++) {
      const out = clip(`a${EMOJI}b${EMOJI}`, max);
      expect(LONE_SURROGATE.test(out), `max ${max}: ${JSON.stringify(out)}`).toBe(false);
      expect(out.length).toBeLessThanOrEqual(max);
    }
  });

  test("a title cut where an emoji straddles the 80th unit keeps the emoji out, whole", () => {
    const prompt = `${"a".repeat(78)}${EMOJI} and more`; // the emoji is units 79 and 80
    const title = titleFromPrompt(prompt);
    expect(title).toBe(`${"a".repeat(78)}…`);
    expect(LONE_SURROGATE.test(title)).toBe(false);
  });

  test("an 80-character prompt ending mid-emoji gets a title and a demo reply that ends done", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    const prompt = `${"x".repeat(79)}${EMOJI}${"y".repeat(10)}`;
    await chat(t, threadId, token, prompt);
    const thread = await t.query(api.threads.get, { threadId, token });
    expect(LONE_SURROGATE.test(thread.title)).toBe(false);
    const messages = await t.query(api.messages.list, { threadId, token });
    const reply = messages.at(-1)!;
    expect(reply.status).toBe("done");
    expect(reply.text).toContain(`You wrote: "${"x".repeat(79)}"`);
  });

  test("an origin cut at 200 units keeps no half emoji, and the thread is created", async () => {
    const t = setup();
    const origin = `https://${"o".repeat(191)}${EMOJI}.example`; // the emoji is units 200 and 201
    const { threadId, token } = await newThread(t, origin);
    const thread = await t.query(api.threads.get, { threadId, token });
    expect(thread.origin).toBe(`https://${"o".repeat(191)}`);
  });

  test("an operator name cut at 60 units keeps no half emoji, and sign-in works", async () => {
    const t = setup();
    const sessionToken = await operatorSession(t, `${"n".repeat(59)}${EMOJI}`);
    const me = await t.query(api.operator.session, { token: sessionToken });
    expect(me.name).toBe("n".repeat(59));
  });

  test("wellFormed replaces unpaired halves and keeps pairs", () => {
    expect(wellFormed(`a\ud83d${EMOJI}\ude00b`)).toBe(`a\ufffd${EMOJI}\ufffdb`);
  });
});

describe("titles and names are stored without bidi or control characters", () => {
  test("singleLine removes every bidi control and C0/C1 control, and folds whitespace", () => {
    const dirty = `a${BIDI.join("")}b\u0000\u0007\u001b[31m\u0085\u009bc\td\r\ne\u2028f`;
    expect(singleLine(dirty)).toBe("ab[31mc d e f");
    for (const ch of BIDI) expect(singleLine(`x${ch}y`)).toBe("xy");
  });

  test("a prompt's title shows the text as written, not reordered by U+202E", async () => {
    const { t, threadId, token } = await newChat("invoice\u202Egnp.exe\u202C please\nsecond line");
    const thread = await t.query(api.threads.get, { threadId, token });
    expect(thread.title).toBe("invoicegnp.exe please");
  });

  test("a prompt whose first line is only controls takes its title from the next line", () => {
    expect(titleFromPrompt("\u202e\u200f\n  real title ")).toBe("real title");
  });

  test("an operator name is stored without controls; all-control names become Operator", async () => {
    expect(operatorName("\u202eSupport\u202c\u0007 team")).toBe("Support team");
    expect(operatorName("\u202e\u2066\u0000")).toBe("Operator");
    const t = setup();
    const sessionToken = await operatorSession(t, "\u202Enimda\u202C Ann");
    const me = await t.query(api.operator.session, { token: sessionToken });
    expect(me.name).toBe("nimda Ann");
  });
});

describe("number arguments", () => {
  const UNUSABLE = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 2.5];

  test("threads:listMine refuses an unusable limit with BAD_REQUEST naming it", async () => {
    const t = setup();
    const { token } = await newThread(t);
    for (const limit of [...UNUSABLE, 0]) {
      const data = await expectCode(t.query(api.threads.listMine, { token, limit }), "BAD_REQUEST");
      expect(data.message).toMatch(/^limit is /);
      expect(data.argument).toBe("limit");
    }
    expect(await t.query(api.threads.listMine, { token, limit: 1 })).toHaveLength(1);
  });

  test("threads:share refuses a fractional or non-finite expiresInMs", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    for (const expiresInMs of [...UNUSABLE, 1500.5]) {
      const data = await expectCode(t.mutation(api.threads.share, { threadId, token, expiresInMs }), "BAD_REQUEST");
      expect(data.message).toMatch(/^expiresInMs is /);
    }
  });

  test("messages:list and messages:live refuse a non-finite or negative time", async () => {
    const { t, threadId, token } = await newChat();
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      const listed = await expectCode(t.query(api.messages.list, { threadId, token, before: bad }), "BAD_REQUEST");
      expect(listed.message).toMatch(/^before is /);
      const live = await expectCode(t.query(api.messages.live, { threadId, token, after: bad }), "BAD_REQUEST");
      expect(live.message).toMatch(/^after is /);
    }
    // _creationTime has a fraction: a real one is accepted.
    const [first] = await t.query(api.messages.list, { threadId, token });
    expect(await t.query(api.messages.live, { threadId, token, after: first._creationTime })).toHaveLength(1);
  });

  test("streams:read refuses an unusable cursor, from or to", async () => {
    const { t, token, streamId } = await newChat();
    for (const bad of UNUSABLE) {
      for (const key of ["cursor", "from", "to"] as const) {
        const args = { streamId, token, cursor: 0, [key]: bad };
        const data = await expectCode(t.query(api.streams.read, args), "BAD_REQUEST");
        expect(data.message).toMatch(new RegExp(`^${key} is `));
      }
    }
  });

  test("operator:listThreads refuses an unusable page size", async () => {
    const t = setup();
    const token = await operatorSession(t);
    for (const numItems of [...UNUSABLE, 0, 101]) {
      const data = await expectCode(
        t.query(api.operator.listThreads, { token, paginationOpts: { numItems, cursor: null } }),
        "BAD_REQUEST",
      );
      expect(data.message).toMatch(/^paginationOpts\.numItems is /);
    }
  });
});
