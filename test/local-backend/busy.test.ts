// The app on a busy deployment (issue 21): with every HTTP-action slot taken, the site refuses a
// send's POST as a deployment does (429 TooManyConcurrentRequests, before any of the app's code
// runs); the same body over the socket (`chat:queue`) is generated in the background, and the
// reply ends done. The real convex/ app on the local backend, its HTTP-action limit at 1.
import { expect, test } from "vitest";
import { makeFunctionReference } from "convex/server";
import { demoReplyText } from "../../convex/lib/models.js";
import { nodeClient, useAppBackend } from "./helpers.js";

const backend = useAppBackend({ DEMO_TOKEN_DELAY_MS: "40" }, { concurrency: { httpActions: 1, actionWaitMs: 300 } });

const post = (body: object) =>
  fetch(`${backend().siteUrl}/chat-stream`, { method: "POST", body: JSON.stringify(body) });

test("a send refused for load is queued over the socket and its reply ends done", async () => {
  // Visitor B's first message, while the deployment is idle: B now has a token and a thread.
  const first = await post({ prompt: "Hello" });
  expect(first.status).toBe(200);
  const b = JSON.parse(first.headers.get("X-Chat-Reply")!) as { threadId: string; token: string };
  await first.text();

  // Visitor A's reply holds the one HTTP-action slot while it streams.
  const a = await post({ prompt: "Tell me a long story" });
  expect(a.status).toBe(200);
  const holding = a.text();

  const refused = await post({ prompt: "Busy?", threadId: b.threadId, token: b.token, requestId: "b-2" });
  expect(refused.status).toBe(429);
  expect(((await refused.json()) as { code: string }).code).toBe("TooManyConcurrentRequests");

  const client = nodeClient(backend().convexUrl);
  try {
    const ids = await client.mutation(makeFunctionReference<"mutation">("chat:queue"), {
      token: b.token,
      threadId: b.threadId,
      prompt: "Busy?",
      requestId: "b-2",
    });
    const live = makeFunctionReference<"query">("messages:live");
    const reply = async () =>
      (
        (await client.query(live, { threadId: b.threadId, token: b.token })) as {
          _id: string;
          status: string;
          length: number;
        }[]
      ).find((m) => m._id === ids.assistantMessageId)!;
    const deadline = Date.now() + 20_000;
    let seen = await reply();
    while (seen.status !== "done" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await reply();
    }
    expect(seen.status).toBe("done");
    const text = await client.query(makeFunctionReference<"query">("streams:catchUp"), {
      streamId: ids.streamId,
      token: b.token,
      from: 0,
    });
    expect(text.text).toBe(demoReplyText("Busy?"));
  } finally {
    await client.close();
  }
  expect((await holding).length).toBeGreaterThan(0);
  expect(backend().concurrency().now.httpAction.refused).toBe(1);
});
