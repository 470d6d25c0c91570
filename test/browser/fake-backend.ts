// An in-memory stand-in for the Convex deployment, implementing the contract in
// docs/architecture.md closely enough for the element's tests, behind the `ChatClient` seam
// (`setClientFactory`). Subscriptions re-run after every change and deliver asynchronously,
// like ConvexClient; mutations resolve after their effects reached the subscriptions.
import { getFunctionName, type FunctionReference } from "convex/server";
import type { ChatClient, ConnectionInfo } from "../../src/convex-pool.js";
import {
  MESSAGES_PAGE_MAX,
  type MessageStatus,
  type MessageView,
  type StreamDelta,
  type StreamSlice,
  type ThreadView,
} from "../../src/api.js";

type Thread = {
  _id: string;
  token: string;
  observers: Set<string>;
  title: string;
  createdAt: number;
  lastMessageAt: number;
  /** The page the visitor started it on. */
  origin?: string;
};
type Message = Omit<MessageView, "length"> & { threadId: string; prompt?: string; requestId?: string };
type Sub = {
  name: string;
  args: Record<string, unknown>;
  cb: (v: unknown) => unknown;
  onError?: (e: Error) => unknown;
  last?: string;
  active: boolean;
};

export class FakeConvexError extends Error {
  constructor(readonly data: { code: string; message: string; retryAfterMs?: number }) {
    super(data.message);
  }
}

let ids = 0;
const id = (p: string) => `${p}${++ids}`;

export class FakeBackend {
  threads = new Map<string, Thread>();
  messages: Message[] = [];
  deltas = new Map<string, { seq: number; start: number; text: string }[]>();
  config = { model: "gpt-test", demo: false, maxPromptChars: 8000, maxFileBytes: 10485760, maxFilesPerMessage: 4 };
  /** `OPERATOR_SECRET`: accepted only by `operator:signIn`, which returns a session token. */
  operatorSecret = "operator-secret-4f9c2a7e1b-0123456789abcdef";
  /** Model tokens `operator:usage` reports for today. */
  usageTokens = 1234;
  /** Live operator session tokens: they read every thread and list them (`operator:listThreads`). */
  operatorSessions = new Set<string>();
  /** The page's client is signed in to the host app as an operator (its `authorize`): no token needed. */
  signedInOperator = false;
  /** Mutations, in order. */
  calls: { name: string; args: Record<string, unknown> }[] = [];
  /** One-shot queries (`client.query`), in order. */
  reads: { name: string; args: Record<string, unknown> }[] = [];
  /**
   * Throw from a mutation by name, once. The steps of `POST /chat-stream` count as the mutations
   * they stand for (`threads:create`, `messages:send`, `messages:retry`): a `FakeConvexError`
   * there is the POST's refusal, a `TypeError` a network failure before the deployment got it.
   */
  failNext = new Map<string, FakeConvexError | Error>();
  /** The bodies of every `POST /chat-stream`, in order. */
  posts: Record<string, unknown>[] = [];
  /** With Turnstile on: whether a new visitor's `turnstileToken` passes siteverify. */
  humanCheck: ((turnstileToken: unknown) => boolean) | null = null;
  /** Every result sent to the element (subscription updates and one-shot reads), as JSON. */
  deliveries: { name: string; json: string }[] = [];
  /**
   * While set, `streams:tail` subscribers get no updates: a subscription that skips results, as
   * Convex may when several flushes land between two updates. `releaseTail()` sends the newest.
   */
  holdTail = false;
  clientsMade = 0;
  /** Human handoff per thread (`handoff:state`); `operatorOnlineUntil` is deployment-wide. */
  handoff = new Map<
    string,
    {
      heldBy: string | null;
      /** The session token that took it over (`heldByMe` compares it, never the name). */
      holderToken?: string | null;
      needsHumanAt: number | null;
      operatorTypingAt: number | null;
      visitorTypingAt: number | null;
    }
  >();
  operatorOnlineUntil = 0;
  private readsHeld: Promise<void> | undefined;
  clientsClosed = 0;
  private subs = new Set<Sub>();
  private clock = 0;
  private connection: ConnectionInfo = { isWebSocketConnected: true, hasEverConnected: true, connectionRetries: 0 };
  private connectionListeners = new Set<(s: ConnectionInfo) => void>();

  client(): ChatClient {
    this.clientsMade++;
    // As ConvexClient: closing it ends its subscriptions (no more callbacks).
    const mine = new Set<Sub>();
    const mutation = async (ref: FunctionReference<"mutation" | "action">, args: Record<string, unknown>) => {
      const name = this.functionName(ref);
      this.calls.push({ name, args });
      await Promise.resolve();
      const failure = this.failNext.get(name);
      if (failure) {
        this.failNext.delete(name);
        throw failure;
      }
      const result = this.mutate(name, args);
      this.flush();
      await Promise.resolve();
      return result;
    };
    return {
      onUpdate: (ref: FunctionReference<"query">, args: Record<string, unknown>, cb, onError) => {
        const sub: Sub = { name: this.functionName(ref), args, cb: cb as Sub["cb"], onError, active: true };
        this.subs.add(sub);
        mine.add(sub);
        queueMicrotask(() => this.deliver(sub));
        return () => {
          sub.active = false;
          this.subs.delete(sub);
        };
      },
      query: async (ref: FunctionReference<"query">, args: Record<string, unknown>) => {
        const name = this.functionName(ref);
        this.reads.push({ name, args });
        await Promise.resolve();
        await this.readsHeld;
        const value = this.run(name, args);
        this.deliveries.push({ name, json: JSON.stringify(value) });
        return value;
      },
      mutation,
      // An action is a mutation here: the fake has no runtime to tell them apart.
      action: mutation,
      connectionState: () => this.connection,
      subscribeToConnectionState: (cb) => {
        this.connectionListeners.add(cb);
        return () => this.connectionListeners.delete(cb);
      },
      close: () => {
        this.clientsClosed++;
        for (const sub of mine) {
          sub.active = false;
          this.subs.delete(sub);
        }
      },
    } as ChatClient;
  }

  // ---- test controls ----

  /**
   * Where the app exposes the chat's functions (`aiChat/`, as a host app that re-exports them in a
   * folder): a call to any other name fails, as an unknown function does on a deployment.
   */
  functionsPath = "";

  /** Every function name the element called, in order. */
  names: string[] = [];

  private functionName(ref: FunctionReference<"query" | "mutation" | "action">): string {
    const name = getFunctionName(ref);
    this.names.push(name);
    if (!name.startsWith(this.functionsPath)) throw new Error(`fake backend: no function ${name}`);
    return name.slice(this.functionsPath.length);
  }

  /** One-shot reads (`client.query`) wait until the returned function runs, as on a slow socket. */
  holdReads(): () => void {
    let release!: () => void;
    this.readsHeld = new Promise<void>((r) => (release = r));
    return () => {
      this.readsHeld = undefined;
      release();
    };
  }

  setConnected(connected: boolean): void {
    this.connection = { ...this.connection, isWebSocketConnected: connected };
    for (const l of this.connectionListeners) l(this.connection);
    // Back online, the client subscribes again and the server sends every result afresh.
    if (connected) {
      for (const sub of this.subs) sub.last = undefined;
      this.flush();
    }
  }

  /** Sends `streams:tail` subscribers the newest delta, after `holdTail` kept some from them. */
  releaseTail(): void {
    this.holdTail = false;
    this.flush();
  }

  /** How many times `needle` reached the element, over every delivery. */
  timesDelivered(needle: string): number {
    const quoted = JSON.stringify(needle).slice(1, -1);
    return this.deliveries.reduce((n, d) => n + d.json.split(quoted).length - 1, 0);
  }

  /** A thread owned by `token`, with optional finished history. Call `flush()` to tell subscribers. */
  seedThread(
    token = "visitor-token",
    history: Array<[string, string]> = [],
    { title = "", lastMessageAt, origin }: { title?: string; lastMessageAt?: number; origin?: string } = {},
  ): string {
    const threadId = id("thread_");
    const at = lastMessageAt ?? Date.now();
    const thread: Thread = {
      _id: threadId,
      token,
      observers: new Set(),
      title,
      createdAt: at,
      lastMessageAt: at,
      origin,
    };
    this.threads.set(threadId, thread);
    for (const [prompt, reply] of history) {
      this.addMessage(threadId, "user", prompt, "done");
      this.addMessage(threadId, "assistant", reply, "done", id("stream_"));
    }
    if (lastMessageAt !== undefined) thread.lastMessageAt = lastMessageAt;
    return threadId;
  }

  /** Starts a reply in `threadId` as if another tab had sent `prompt`. */
  seedActiveReply(threadId: string, prompt = "Hello?"): { messageId: string; streamId: string } {
    this.addMessage(threadId, "user", prompt, "done");
    const streamId = id("stream_");
    const m = this.addMessage(threadId, "assistant", "", "pending", streamId);
    this.flush();
    return { messageId: m._id, streamId };
  }

  /** Persists a delta (what the HTTP action's flushes do). */
  persist(streamId: string, text: string): void {
    const list = this.deltas.get(streamId) ?? [];
    const start = list.reduce((n, d) => n + d.text.length, 0);
    list.push({ seq: list.length, start, text });
    this.deltas.set(streamId, list);
    const m = this.messages.find((x) => x.streamId === streamId);
    if (m && m.status === "pending") m.status = "streaming";
    // A queue runner began it (convex/queueRunner.ts next): no longer queued.
    if (m?.queued) delete m.queued;
    this.flush();
  }

  persistedText(streamId: string): string {
    return (this.deltas.get(streamId) ?? []).map((d) => d.text).join("");
  }

  /** Finishes the reply: the message gets its full text once. */
  finish(streamId: string, status: MessageStatus = "done", error: string | null = null): void {
    const m = this.messages.find((x) => x.streamId === streamId)!;
    m.status = status;
    m.text = this.persistedText(streamId);
    m.error = error;
    m.updatedAt = Date.now();
    this.flush();
  }

  subscriptions(name?: string): Sub[] {
    return [...this.subs].filter((s) => !name || s.name === name);
  }

  /**
   * `POST /chat-stream` as the deployment answers it (convex/http.ts): the visitor (when new), the
   * thread (when new), the prompt and the reply stored at once, then the answer. `respond` is the
   * test's say in how that answer goes: a 200 whose body is the reply as the model writes it, a
   * 205 (the reply is driven elsewhere: follow it), a refusal for load (the request never ran), or
   * a network failure after the deployment stored it (the answer was lost).
   */
  async chatStream(call: FetchCall, respond: (call: FetchCall) => Response | Promise<Response>): Promise<Response> {
    const body = JSON.parse(String(call.init.body)) as Record<string, unknown>;
    this.posts.push(body);
    let answer: Response | null = null;
    let lost: unknown = null;
    try {
      answer = await respond(call);
    } catch (err) {
      lost = err;
    }
    if (answer && answer.status !== 200 && answer.status !== 205) return answer;
    let ids: Record<string, unknown> & { resent?: boolean };
    try {
      ids = this.startFromPost(body);
    } catch (err) {
      if (!(err instanceof FakeConvexError)) throw err;
      const status = { UNAUTHORIZED: 401, REPLY_IN_PROGRESS: 409, RATE_LIMITED: 429, TOO_MANY_VISITORS: 429 }[
        err.data.code
      ];
      const retryAfter: Record<string, string> = err.data.retryAfterMs
        ? { "Retry-After": String(Math.ceil(err.data.retryAfterMs / 1000)) }
        : {};
      return new Response(JSON.stringify(err.data), {
        status: status ?? (err.data.code === "HUMAN_CHECK_FAILED" ? 403 : 400),
        headers: { "Content-Type": "application/json", ...retryAfter },
      });
    }
    await Promise.resolve();
    if (lost) throw lost;
    const { resent, ...reply } = ids;
    const headers = { "X-Chat-Reply": JSON.stringify(reply) };
    if (resent || answer!.status === 205) return new Response(null, { status: 205, headers });
    return new Response(answer!.body, { status: 200, headers });
  }

  /** `chat:start`: one transaction, so a refusal stores nothing. */
  private startFromPost(body: Record<string, unknown>): Record<string, unknown> & { resent?: boolean } {
    const threadsBefore = new Map(this.threads);
    const messagesBefore = [...this.messages];
    const step = (name: string, args: Record<string, unknown>) => {
      this.calls.push({ name, args });
      const failure = this.failNext.get(name);
      if (failure) {
        this.failNext.delete(name);
        throw failure;
      }
      return this.mutate(name, args) as Record<string, string>;
    };
    try {
      let token = body.token as string | undefined;
      let threadId = body.threadId as string | undefined;
      let minted: string | undefined;
      if (typeof body.retry === "string") {
        const created = step("messages:retry", { threadId, token, messageId: body.retry });
        this.flush();
        return { threadId, ...created };
      }
      if (!threadId) {
        if (!token && this.humanCheck && !this.humanCheck(body.turnstileToken)) {
          throw new FakeConvexError({ code: "HUMAN_CHECK_FAILED", message: "The human check did not pass." });
        }
        const created = step("threads:create", token ? { token } : {});
        threadId = created.threadId!;
        if (!token) token = minted = created.token;
      } else if (typeof body.requestId === "string") {
        const at = this.messages.findIndex((m) => m.threadId === threadId && m.requestId === body.requestId);
        if (at >= 0) {
          const reply = this.messages[at + 1]!;
          const userMessageId = this.messages[at]!._id;
          return { threadId, userMessageId, assistantMessageId: reply._id, streamId: reply.streamId, resent: true };
        }
      }
      const sent = step("messages:send", { threadId, token, prompt: body.prompt, attachments: body.attachments });
      if (typeof body.requestId === "string")
        this.messages.find((m) => m._id === sent.userMessageId)!.requestId = body.requestId;
      this.flush();
      return { threadId, ...sent, ...(minted ? { token: minted } : {}) };
    } catch (err) {
      this.threads = threadsBefore;
      this.messages = messagesBefore;
      throw err;
    }
  }

  // ---- the "server" ----

  /** Who answers `threadId` (an operator's name, or null for the AI), as a takeover or hand-back would set it. */
  hold(threadId: string, heldBy: string | null): void {
    this.handoffOf(threadId).heldBy = heldBy;
    this.handoffOf(threadId).holderToken = null;
    if (heldBy) this.handoffOf(threadId).needsHumanAt = null;
    this.flush();
  }

  /** An operator's message (`handoff:reply`). */
  operatorSays(threadId: string, author: string, text: string): void {
    const m = this.addMessage(threadId, "operator", text, "done");
    m.author = author;
    this.flush();
  }

  handoffOf(threadId: string) {
    let h = this.handoff.get(threadId);
    if (!h)
      this.handoff.set(
        threadId,
        (h = { heldBy: null, needsHumanAt: null, operatorTypingAt: null, visitorTypingAt: null }),
      );
    return h;
  }

  private addMessage(
    threadId: string,
    role: "user" | "assistant" | "operator",
    text: string,
    status: MessageStatus,
    streamId: string | null = null,
  ): Message {
    const now = Date.now();
    const m: Message = {
      _id: id("msg_"),
      _creationTime: now + ++this.clock / 1000,
      threadId,
      role,
      status,
      text,
      streamId,
      error: null,
      model: role === "assistant" ? this.config.model : null,
      createdAt: now,
      updatedAt: now,
    };
    this.messages.push(m);
    const thread = this.threads.get(threadId);
    if (thread) {
      thread.lastMessageAt = Math.max(thread.lastMessageAt, now);
      if (!thread.title && role === "user") thread.title = text.slice(0, 60);
    }
    return m;
  }

  /** `token`: the operator listing, to say which threads they hold (`heldByMe`). */
  private threadView(t: Thread, token?: unknown): ThreadView {
    // The deployment keeps the count and preview on the thread as messages are written.
    const written = this.messages.filter((m) => m.threadId === t._id);
    const newest = written.filter((m) => m.text).pop();
    const h = this.handoff.get(t._id);
    const mine = this.messages.filter((m) => m.threadId === t._id && m.role === "assistant");
    const last = mine[mine.length - 1];
    const status = mine.some((m) => m.status === "pending" || m.status === "streaming")
      ? "streaming"
      : last?.status === "error" || last?.status === "timeout"
        ? "error"
        : "idle";
    return {
      _id: t._id,
      title: t.title,
      status,
      createdAt: t.createdAt,
      updatedAt: t.lastMessageAt,
      lastMessageAt: t.lastMessageAt,
      model: this.config.model,
      origin: t.origin ?? null,
      access: "operator",
      ...(h?.heldBy ? { heldBy: h.heldBy } : {}),
      ...(written.length ? { messageCount: written.length } : {}),
      ...(newest ? { preview: newest.text.replace(/\s+/g, " ").trim().slice(0, 140) } : {}),
      ...(token !== undefined ? { heldByMe: !!h?.holderToken && h.holderToken === token } : {}),
    };
  }

  /** `operator:searchThreads`: threads whose title or any message holds every word (the index matches words). */
  private searchThreads(args: Record<string, unknown>): ThreadView[] {
    if (!this.isOperator(args.token)) throw new FakeConvexError({ code: "UNAUTHORIZED", message: "Not an operator." });
    const words = String(args.text).toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length === 0) return [];
    const has = (text: string) => words.every((w) => text.toLowerCase().includes(w));
    return [...this.threads.values()]
      .filter((t) => has(t.title) || this.messages.some((m) => m.threadId === t._id && has(m.text)))
      .map((t) => this.threadView(t, args.token));
  }

  /**
   * `operator:listThreads` as the index `by_active_lastMessageAt` desc would page it. A cursor
   * is a position in that order, so (as on a backend without query journals) a page from
   * `cursor: null` always holds the first `numItems` threads unless `endCursor` pins its end
   * (inclusive, as in convex-test).
   */
  private listThreads(args: Record<string, unknown>): { page: ThreadView[]; isDone: boolean; continueCursor: string } {
    if (!this.isOperator(args.token)) throw new FakeConvexError({ code: "UNAUTHORIZED", message: "Not an operator." });
    const opts = args.paginationOpts as { numItems: number; cursor: string | null; endCursor?: string | null };
    const key = (v: ThreadView): [number, number, string] => [v.status === "streaming" ? 1 : 0, v.lastMessageAt, v._id];
    const before = (a: [number, number, string], b: [number, number, string]) =>
      a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
    const all = [...this.threads.values()]
      .map((t) => this.threadView(t, args.token))
      .sort((a, b) => (before(key(a), key(b)) ? -1 : 1));
    const from = opts.cursor === null ? all : all.filter((v) => before(JSON.parse(opts.cursor!), key(v)));
    if (opts.endCursor) {
      const end = JSON.parse(opts.endCursor) as [number, number, string];
      return { page: from.filter((v) => !before(end, key(v))), isDone: false, continueCursor: opts.endCursor };
    }
    const page = from.slice(0, opts.numItems);
    const lastKey = page.length ? JSON.stringify(key(page[page.length - 1]!)) : (opts.cursor ?? '[2,0,""]');
    return { page, isDone: from.length <= opts.numItems, continueCursor: lastKey };
  }

  private view(m: Message, withReplyText: boolean): MessageView {
    const { threadId: _t, prompt: _p, requestId: _r, ...view } = m;
    const final = m.status !== "pending" && m.status !== "streaming";
    const whole = withReplyText || m.role !== "assistant";
    return { ...view, text: whole ? m.text : "", length: final ? m.text.length : 0 };
  }

  /** The thread's messages as the caller sees them: a reply regenerated away only for operators. */
  private shown(args: Record<string, unknown>): Message[] {
    const operator = this.operatorSessions.has(args.token as string);
    return this.messages.filter((m) => m.threadId === args.threadId && (operator || !m.supersededBy));
  }

  private streamMessage(args: Record<string, unknown>): Message {
    const m = this.messages.find((x) => x.streamId === args.streamId);
    if (!m) throw new FakeConvexError({ code: "UNAUTHORIZED", message: "No such stream." });
    this.readable(m.threadId, args.token);
    return m;
  }

  private readable(threadId: unknown, token: unknown): Thread {
    const t = typeof threadId === "string" ? this.threads.get(threadId) : undefined;
    if (!t || (token !== t.token && !this.isOperator(token) && !t.observers.has(token as string))) {
      throw new FakeConvexError({ code: "UNAUTHORIZED", message: "You cannot read this conversation." });
    }
    return t;
  }

  private writable(threadId: unknown, token: unknown): Thread {
    const t = this.readable(threadId, token);
    if (token !== t.token) throw new FakeConvexError({ code: "UNAUTHORIZED", message: "Read-only token." });
    return t;
  }

  private run(name: string, args: Record<string, unknown>): unknown {
    switch (name) {
      case "messages:list": {
        this.readable(args.threadId, args.token);
        const before = (args.before as number | undefined) ?? Infinity;
        const older = this.shown(args).filter((m) => m._creationTime < before);
        return older.slice(-MESSAGES_PAGE_MAX).map((m) => this.view(m, true));
      }
      case "messages:live": {
        this.readable(args.threadId, args.token);
        const after = (args.after as number | undefined) ?? -Infinity;
        return this.shown(args)
          .filter((m) => m._creationTime > after)
          .slice(-50)
          .map((m) => this.view(m, false));
      }
      case "streams:read": {
        const m = this.streamMessage(args);
        const from = (args.from as number | undefined) ?? 0;
        const to = (args.to as number | undefined) ?? Infinity;
        const all = (this.deltas.get(m.streamId!) ?? []).filter(
          (d) => d.seq >= (args.cursor as number) && d.start + d.text.length > from && d.start < to,
        );
        const page = all.slice(0, 16);
        const slice: StreamSlice = {
          status: m.status,
          start: page[0]?.start ?? this.persistedText(m.streamId!).length,
          text: page.map((d) => d.text).join(""),
          cursor: page.length ? page[page.length - 1]!.seq + 1 : (args.cursor as number),
          more: all.length > 16,
        };
        return slice;
      }
      case "streams:catchUp": {
        // Everything from `from` up to `to`, in one read (the compacted text plus the deltas after it).
        const m = this.streamMessage(args);
        const list = this.deltas.get(m.streamId!) ?? [];
        const whole = this.persistedText(m.streamId!);
        const start = Math.min(args.from as number, whole.length);
        const end = Math.max(start, Math.min((args.to as number | undefined) ?? Infinity, whole.length));
        const next = list.find((d) => d.start + d.text.length > end);
        const slice: StreamSlice = {
          status: m.status,
          start,
          text: whole.slice(start, end),
          cursor: next ? next.seq : list.length,
          more: end < whole.length,
        };
        return slice;
      }
      case "streams:tail": {
        const m = this.streamMessage(args);
        const list = this.deltas.get(m.streamId!) ?? [];
        const last = list[list.length - 1];
        const delta: StreamDelta | null = last ? { ...last } : null;
        return delta;
      }
      case "config:get":
        return { ...this.config };
      case "handoff:state": {
        this.readable(args.threadId, args.token);
        const h = this.handoffOf(args.threadId as string);
        const heldByMe = this.operatorSessions.has(args.token as string) && h.heldBy !== null;
        return { ...h, heldByMe, operatorOnlineUntil: this.operatorOnlineUntil, now: Date.now() };
      }
      case "handoff:needsHuman":
        if (!this.operatorSessions.has(args.token as string))
          throw new FakeConvexError({ code: "UNAUTHORIZED", message: "Not an operator." });
        return [...this.threads.values()]
          .filter((t) => this.handoffOf(t._id).needsHumanAt !== null)
          .map((t) => ({ ...this.threadView(t, args.token), needsHumanAt: this.handoffOf(t._id).needsHumanAt! }));
      case "operator:listThreads":
        return this.listThreads(args);
      case "operator:searchThreads":
        return this.searchThreads(args);
      case "threads:listMine": {
        // The token's own threads only, newest activity first (what a thread id cannot widen).
        if (typeof args.token !== "string") throw new FakeConvexError({ code: "UNAUTHORIZED", message: "No token." });
        return [...this.threads.values()]
          .filter((t) => t.token === args.token)
          .sort((a, b) => b.lastMessageAt - a.lastMessageAt)
          .slice(0, Math.min(100, (args.limit as number | undefined) ?? 20))
          .map((t) => ({ ...this.threadView(t), access: "visitor" }));
      }
      case "operator:usage":
        if (!this.isOperator(args.token))
          throw new FakeConvexError({ code: "UNAUTHORIZED", message: "Not an operator." });
        return { day: "2026-11-30", tokens: this.usageTokens, budget: 500000, resetsAt: 0 };
      default:
        throw new Error(`fake backend: unknown query ${name}`);
    }
  }

  private isOperator(token: unknown): boolean {
    return this.signedInOperator || this.operatorSessions.has(token as string);
  }

  /** `POST {site}/operator/sign-in` (convex/http.ts): `operator:signIn` over HTTP, 200 or 401 with its result. */
  signInOverHttp(call: FetchCall): Response {
    const args = JSON.parse(String(call.init.body)) as Record<string, unknown>;
    this.calls.push({ name: "POST /operator/sign-in", args });
    const result = this.mutate("operator:signIn", args) as { ok: boolean };
    return new Response(JSON.stringify(result), { status: result.ok ? 200 : 401 });
  }

  private mutate(name: string, args: Record<string, unknown>): unknown {
    switch (name) {
      case "operator:signIn": {
        if (args.secret !== this.operatorSecret)
          return { ok: false, code: "UNAUTHORIZED", message: "That operator secret was not accepted." };
        const sessionToken = id("operator_session_");
        this.operatorSessions.add(sessionToken);
        return { ok: true, sessionToken, expiresAt: Date.now() + 12 * 3600_000, name: String(args.name || "Operator") };
      }
      case "operator:signOut":
        this.operatorSessions.delete(args.token as string);
        return null;
      case "threads:create": {
        const token = (args.token as string | undefined) ?? id("visitor_");
        return { threadId: this.seedThread(token), token };
      }
      case "threads:remove": {
        const t = this.writable(args.threadId, args.token);
        this.threads.delete(t._id);
        this.messages = this.messages.filter((m) => m.threadId !== t._id);
        return null;
      }
      case "operator:removeThread": {
        if (!this.isOperator(args.token))
          throw new FakeConvexError({ code: "UNAUTHORIZED", message: "Not an operator." });
        const t = this.readable(args.threadId, args.token);
        this.threads.delete(t._id);
        this.messages = this.messages.filter((m) => m.threadId !== t._id);
        return null;
      }
      case "threads:share": {
        // The owner, or an operator (SHARES in convex/lib/access.ts).
        const t = this.isOperator(args.token)
          ? this.readable(args.threadId, args.token)
          : this.writable(args.threadId, args.token);
        const observerToken = id("observer_");
        t.observers.add(observerToken);
        return { observerToken };
      }
      case "messages:send": {
        this.writable(args.threadId, args.token);
        const prompt = String(args.prompt ?? "");
        // As the deployment: a prompt may be empty when it carries files.
        if (!prompt.trim() && !(args.attachments as string[] | undefined)?.length)
          throw new FakeConvexError({ code: "EMPTY_PROMPT", message: "Write a message first." });
        if (
          this.messages.some(
            (m) => m.threadId === args.threadId && (m.status === "pending" || m.status === "streaming"),
          )
        ) {
          throw new FakeConvexError({ code: "REPLY_IN_PROGRESS", message: "Wait for the reply to finish." });
        }
        const user = this.addMessage(args.threadId as string, "user", prompt, "done");
        const streamId = id("stream_");
        const assistant = this.addMessage(args.threadId as string, "assistant", "", "pending", streamId);
        return { userMessageId: user._id, assistantMessageId: assistant._id, streamId };
      }
      case "chat:queue": {
        // The POST's body over the socket, when the site was too busy: stored, and marked queued.
        const sent = this.mutate("messages:send", args) as { assistantMessageId: string };
        this.messages.find((m) => m._id === sent.assistantMessageId)!.queued = true;
        return { threadId: args.threadId, ...sent };
      }
      case "messages:retry": {
        this.writable(args.threadId, args.token);
        const mine = this.messages.filter((m) => m.threadId === args.threadId);
        const last = mine[mine.length - 1];
        if (
          !last ||
          last._id !== args.messageId ||
          last.role !== "assistant" ||
          last.status === "pending" ||
          last.status === "streaming"
        ) {
          throw new FakeConvexError({ code: "BAD_REQUEST", message: "Only a finished last reply can be retried." });
        }
        const streamId = id("stream_");
        const assistant = this.addMessage(args.threadId as string, "assistant", "", "pending", streamId);
        last.supersededBy = assistant._id;
        return { assistantMessageId: assistant._id, streamId };
      }
      case "handoff:requestHuman": {
        this.writable(args.threadId, args.token);
        const h = this.handoffOf(args.threadId as string);
        if (h.heldBy === null) h.needsHumanAt ??= Date.now();
        return null;
      }
      case "handoff:typing": {
        this.readable(args.threadId, args.token);
        const side = this.operatorSessions.has(args.token as string) ? "operatorTypingAt" : "visitorTypingAt";
        this.handoffOf(args.threadId as string)[side] = Date.now();
        return null;
      }
      case "handoff:heartbeat":
        this.operatorOnlineUntil = Date.now() + 60_000;
        return { onlineUntil: this.operatorOnlineUntil };
      case "handoff:takeOver": {
        this.readable(args.threadId, args.token);
        const h = this.handoffOf(args.threadId as string);
        if (h.heldBy !== null && h.heldBy !== "Ops" && !args.force)
          throw new FakeConvexError({ code: "HELD_BY_OPERATOR", message: `${h.heldBy} is answering this chat` });
        h.heldBy = "Ops";
        h.holderToken = args.token as string;
        h.needsHumanAt = null;
        return { heldBy: "Ops" };
      }
      case "handoff:reply": {
        this.readable(args.threadId, args.token);
        this.handoffOf(args.threadId as string).heldBy = "Ops";
        this.handoffOf(args.threadId as string).holderToken = args.token as string;
        const m = this.addMessage(args.threadId as string, "operator", String(args.text), "done");
        m.author = "Ops";
        return { messageId: m._id };
      }
      case "handoff:handBack":
        this.readable(args.threadId, args.token);
        this.handoffOf(args.threadId as string).heldBy = null;
        this.handoffOf(args.threadId as string).holderToken = null;
        return null;
      case "feedback:rate": {
        this.writable(args.threadId, args.token);
        const m = this.messages.find((x) => x._id === args.messageId && x.threadId === args.threadId);
        if (!m || m.role !== "assistant") throw new FakeConvexError({ code: "BAD_REQUEST", message: "Not a reply." });
        const comment = args.comment as string | undefined;
        if (comment && comment.length > 500) {
          throw new FakeConvexError({ code: "BAD_REQUEST", message: "comment is too long; the limit is 500" });
        }
        m.feedback = args.rating
          ? { rating: args.rating as "up" | "down", ...(comment ? { comment } : {}) }
          : undefined;
        return null;
      }
      case "messages:stop": {
        this.writable(args.threadId, args.token);
        const m = this.messages.find(
          (x) => x.threadId === args.threadId && (x.status === "pending" || x.status === "streaming"),
        );
        if (m) {
          m.status = "stopped";
          m.text = this.persistedText(m.streamId!);
        }
        return null;
      }
      default:
        throw new Error(`fake backend: unknown mutation ${name}`);
    }
  }

  flush(): void {
    for (const sub of [...this.subs]) this.deliver(sub);
  }

  private deliver(sub: Sub): void {
    if (!sub.active || !this.connection.isWebSocketConnected) return;
    if (this.holdTail && sub.name === "streams:tail") return;
    let value: unknown;
    try {
      value = this.run(sub.name, sub.args);
    } catch (e) {
      const key = `error:${(e as Error).message}`;
      if (sub.last !== key) {
        sub.last = key;
        sub.onError?.(e as Error);
      }
      return;
    }
    const key = JSON.stringify(value);
    if (key === sub.last) return;
    sub.last = key;
    this.deliveries.push({ name: sub.name, json: key });
    sub.cb(value);
  }
}

/** A streamed HTTP body the test pushes text into. */
export function controlledBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const encoder = new TextEncoder();
  return {
    stream,
    push: (text: string) => controller.enqueue(encoder.encode(text)),
    close: () => controller.close(),
    fail: () => controller.error(new TypeError("network error")),
  };
}

export type FetchCall = { url: string; init: RequestInit };

/**
 * Replaces window.fetch until the returned restore function runs. The widget's warm-up
 * (`GET {site}/chat-stream`, src/reply/warm.ts) is answered 204 and kept apart, in `warmups`.
 */
export function stubFetch(handler: (call: FetchCall) => Response | Promise<Response>): {
  calls: FetchCall[];
  warmups: FetchCall[];
  restore: () => void;
} {
  const original = window.fetch;
  const calls: FetchCall[] = [];
  const warmups: FetchCall[] = [];
  window.fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const call = { url: String(input), init };
    if ((init.method ?? "GET") === "GET" && call.url.endsWith("/chat-stream")) {
      warmups.push(call);
      return new Response(null, { status: 204 });
    }
    calls.push(call);
    const res = await handler(call);
    return res;
  }) as typeof fetch;
  return { calls, warmups, restore: () => void (window.fetch = original) };
}

export const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));

/** Waits until `check` passes (or throws its last error after `timeout` ms). */
export async function until(check: () => unknown, timeout = 2000): Promise<void> {
  const deadline = performance.now() + timeout;
  for (;;) {
    try {
      const ok = check();
      if (ok !== false) return;
    } catch (e) {
      if (performance.now() > deadline) throw e;
    }
    if (performance.now() > deadline) throw new Error(`until: condition not met in ${timeout} ms: ${check}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One `POST {site}/chat-upload` (docs/attachments.md) the widget made, for a test to answer as the deployment would. */
export class FakeUpload {
  readonly headers: Record<string, string> = {};
  url = "";
  body: Blob | null = null;
  aborted = false;
  status = 0;
  responseText = "";
  readonly upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;

  open(_method: string, url: string): void {
    this.url = url;
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name.toLowerCase()] = value;
  }
  send(body: Blob): void {
    this.body = body;
    FakeUpload.made.push(this);
  }
  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }
  /** The browser reports `loaded` of the body's bytes sent. */
  progress(loaded: number): void {
    this.upload.onprogress?.(new ProgressEvent("progress", { lengthComputable: true, loaded, total: this.body!.size }));
  }
  /** The deployment stored it: `{ attachmentId, name, contentType, size }`. */
  accept(attachmentId: string): void {
    const file = this.body as File;
    this.answer(200, { attachmentId, name: file.name, contentType: file.type, size: file.size });
  }
  answer(status: number, body: unknown): void {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
  static made: FakeUpload[] = [];
}

/** Replaces XMLHttpRequest (the widget uploads with it, for upload progress) with FakeUpload until restore. */
export function stubUploads(): { uploads: FakeUpload[]; restore: () => void } {
  const original = window.XMLHttpRequest;
  FakeUpload.made = [];
  window.XMLHttpRequest = FakeUpload as unknown as typeof XMLHttpRequest;
  return { uploads: FakeUpload.made, restore: () => void (window.XMLHttpRequest = original) };
}
