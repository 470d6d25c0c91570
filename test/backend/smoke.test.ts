import { afterEach, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import { drive, expectAtRest, newChat, readAll, restoreEnv, setEnv } from "./setup";

afterEach(restoreEnv);

test("a demo reply streams over HTTP and is persisted identically", async () => {
  setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
  const { t, threadId, token, streamId } = await newChat("Hi");
  const res = await drive(t, token, { streamId });
  expect(res.status).toBe(200);
  const body = await res.text();
  expect(body).toContain("demo model");
  const messages = await t.query(api.messages.list, { threadId, token });
  expect(messages[1].text).toBe(body);
  expect(messages[1].status).toBe("done");
  await expectAtRest(t, streamId);
  expect((await readAll(t, streamId, token)).text).toBe(body);
});
