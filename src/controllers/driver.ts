// Drives a reply: POST {site}/chat-stream and hand each chunk of the body to its owner (the
// ConversationController) as it arrives. Anything other than a clean 200 body (205, an HTTP error, a network failure, a body
// that breaks mid-way) is a handover: the subscription takes over from what is already shown.
// Only one reply is driven at a time; a newer drive, a thread change or disconnecting aborts it.
// A POST turned away for load (429, 503) is tried again a few times first, within a bounded
// wait; the reply stays pending meanwhile, and if no POST ever lands its lease ends it.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { isServerErrorCode, type ChatErrorInfo, type ErrorCode } from "../api.js";

/** POSTs answered 429 or 503 are sent again: at most this many attempts in all... */
export const POST_ATTEMPTS = 3;
/** ...waiting at most this long in all (a longer `Retry-After` is not waited for: the error shows). */
const POST_RETRY_BUDGET_MS = 10_000;
/** Without `Retry-After`: 0.5 s, then 1 s, ... (plus up to 25% jitter, so refused pages spread out). */
const RETRY_BASE_MS = 500;

export type DriveRequest = {
  siteUrl: string;
  token: string;
  threadId: string;
  streamId: string;
  messageId: string;
};

export interface DriverCallbacks {
  /** Status 200: the body is the reply. */
  onStart(req: DriveRequest): void;
  /** The whole reply text received so far. */
  onText(req: DriveRequest, text: string): void;
  /** The body ended cleanly. */
  onComplete(req: DriveRequest): void;
  /** Stop reading; follow the subscription. `error` is set when the server refused with a reason. */
  onHandover(req: DriveRequest, error?: ChatErrorInfo): void;
}

export class DriverController implements ReactiveController {
  /** The reply being driven, if any. */
  active: DriveRequest | null = null;
  private _abort?: AbortController;
  private _generation = 0;

  constructor(
    host: ReactiveControllerHost,
    private readonly _cb: DriverCallbacks,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.abort();
  }

  /** Stops reading the body; results still in flight are dropped. */
  abort(): void {
    this._generation++;
    this._abort?.abort();
    this._abort = undefined;
    this.active = null;
  }

  async drive(req: DriveRequest): Promise<void> {
    this.abort();
    const generation = this._generation;
    const stale = () => generation !== this._generation;
    const abort = (this._abort = new AbortController());
    this.active = req;
    const handOver = (error?: ChatErrorInfo) => {
      if (stale()) return;
      this.active = null;
      this._cb.onHandover(req, error);
    };

    let res: Response;
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await fetch(`${req.siteUrl.replace(/\/$/, "")}/chat-stream`, {
          method: "POST",
          headers: { Authorization: `Bearer ${req.token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ streamId: req.streamId }),
          signal: abort.signal,
          credentials: "omit",
        });
      } catch {
        return handOver();
      }
      if (stale()) return;
      if (res.status !== 429 && res.status !== 503) break;
      const wait = retryDelayMs(res, attempt);
      if (attempt >= POST_ATTEMPTS || waited + wait > POST_RETRY_BUDGET_MS) break;
      void res.body?.cancel().catch(() => {});
      waited += wait;
      await sleep(wait, abort.signal);
      if (stale()) return;
    }
    if (res.status !== 200 || !res.body) {
      return handOver(res.status >= 400 && res.status < 500 ? await readHttpError(res) : undefined);
    }

    this._cb.onStart(req);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (stale()) {
          void reader.cancel().catch(() => {});
          return;
        }
        if (done) break;
        if (!value) continue;
        text += value;
        this._cb.onText(req, text);
      }
    } catch {
      return handOver();
    }
    if (stale()) return;
    this.active = null;
    this._abort = undefined;
    this._cb.onComplete(req);
  }
}

/** The server's `Retry-After` (seconds or an HTTP date), else exponential backoff with jitter. */
function retryDelayMs(res: Response, attempt: number): number {
  const header = res.headers.get("Retry-After");
  if (header !== null) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  return RETRY_BASE_MS * 2 ** (attempt - 1) * (1 + Math.random() / 4);
}

/** Resolves after `ms`, or at once when `signal` aborts (the drive was superseded). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** An HTTP action's refusal: its `{ code, message }` body, else `HTTP_<status>` (429: RATE_LIMITED), and Retry-After. */
export async function readHttpError(res: Response): Promise<ChatErrorInfo> {
  let code: ErrorCode = res.status === 429 ? "RATE_LIMITED" : `HTTP_${res.status}`;
  let message = `The server refused the request (${res.status}).`;
  try {
    const body = (await res.json()) as { code?: unknown; message?: unknown };
    if (isServerErrorCode(body.code)) code = body.code;
    if (typeof body.message === "string") message = body.message;
  } catch {
    // Not JSON: keep the generic sentence.
  }
  const retryAfter = Number(res.headers.get("Retry-After"));
  return {
    code,
    message,
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
  };
}
