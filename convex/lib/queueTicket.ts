/**
 * Queue tickets: how a new visitor's first message queues when the site refuses its POST for load
 * (every HTTP-action slot busy: 429 `TooManyConcurrentRequests`, before any of our code runs).
 * Minting a visitor needs the client's address (per-address limits) and keeps the page's Origin on
 * the new thread; only an HTTP action sees either, and `chat:queue` comes over the WebSocket. So
 * the warm-up (`GET /chat-stream`, when the chat opens) hands out a ticket: that address key and
 * Origin with an expiry, signed (HMAC-SHA-256) with the deployment's signing key (`lib/pow.ts`).
 * `chat:queue` with a ticket instead of a token mints the visitor as `chat:start` would: the same
 * per-address and deployment-wide limits (keyed on the ticket's address), the same proof of work,
 * and MAX_QUEUED_REPLIES.
 *
 * With Turnstile on, a mutation cannot ask siteverify, so the page first trades the ticket and its
 * Turnstile token for a *checked* ticket (`chat:checkHuman`, an action): the same claims, marked
 * checked, valid CHECKED_TICKET_TTL_MS, and spent by the `chat:queue` that uses it (one visitor per
 * check, as one Turnstile token mints one on the POST).
 * A ticket is no credential: it grants what an anonymous POST from that address could do.
 */

/** How long a ticket may be used (the widget warms up again while the visitor types). */
export const QUEUE_TICKET_TTL_MS = 10 * 60_000;
/** A ticket is a 64-character signature, a dot and a short JSON payload. */
export const QUEUE_TICKET_MAX_CHARS = 1024;
/** How long a checked ticket may be used: the page queues with it at once. */
export const CHECKED_TICKET_TTL_MS = 2 * 60_000;
/** Signs tickets only: the same key signs proof-of-work challenges, over other bytes. */
const PURPOSE = "chat-queue-ticket\n";

export type TicketClaims = {
  clientKey: string | null;
  origin: string | null;
  /** Set on a checked ticket: the signature that `chat:queue` spends (`spentChallenges`) and its expiry. */
  checked?: { signature: string; expiresAt: number };
};

async function hmacKey(secret: string): Promise<CryptoKey> {
  return await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * A ticket for the warm-up's caller, valid QUEUE_TICKET_TTL_MS; `checked`: one that passed the
 * human check (`chat:checkHuman`), valid CHECKED_TICKET_TTL_MS.
 */
export async function signQueueTicket(
  secret: string,
  claims: Pick<TicketClaims, "clientKey" | "origin">,
  now = Date.now(),
  checked = false,
): Promise<string> {
  const payload = JSON.stringify({
    c: claims.clientKey,
    o: claims.origin,
    e: now + (checked ? CHECKED_TICKET_TTL_MS : QUEUE_TICKET_TTL_MS),
    ...(checked ? { h: 1 } : {}),
  });
  const signature = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    new TextEncoder().encode(PURPOSE + payload),
  );
  return `${hex(signature)}.${payload}`;
}

/** The claims of an unexpired ticket this deployment signed, else null. */
export async function readQueueTicket(secret: string, ticket: string, now = Date.now()): Promise<TicketClaims | null> {
  if (ticket.length > QUEUE_TICKET_MAX_CHARS) return null;
  const dot = ticket.indexOf(".");
  const signature = ticket.slice(0, dot);
  const payload = ticket.slice(dot + 1);
  if (dot !== 64 || !/^[0-9a-f]{64}$/.test(signature)) return null;
  const bytes = Uint8Array.from(signature.match(/../g)!, (h) => parseInt(h, 16));
  // crypto.subtle.verify compares in constant time.
  if (!(await crypto.subtle.verify("HMAC", await hmacKey(secret), bytes, new TextEncoder().encode(PURPOSE + payload))))
    return null;
  const claims = JSON.parse(payload) as { c: string | null; o: string | null; e: number; h?: 1 };
  if (!(claims.e > now)) return null;
  return {
    clientKey: claims.c,
    origin: claims.o,
    ...(claims.h === 1 ? { checked: { signature, expiresAt: claims.e } } : {}),
  };
}
