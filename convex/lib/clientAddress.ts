/**
 * The client's network address, as the deployment's edge reports it to HTTP actions, for limits
 * kept per client. Only HTTP actions see it: queries and mutations (over WebSocket or the HTTP
 * API) get no request headers at all.
 *
 * What a deployment passes on (get-convex/convex-backend, checked 2026-12): an HTTP action gets
 * the request's headers as they reached the backend, and the backend adds none of its own
 * (`crates/local_backend/src/http_actions.rs`, `ExtractHttpRequestMetadata`). For its own logs
 * the backend takes the client's address from the first `X-Forwarded-For` entry, else the socket
 * (`crates/common/src/http/mod.rs`, `ExtractRequestMetadata`): so a deployment's edge proxy sets
 * `X-Forwarded-For`. Whether that edge replaces a value the client sent or appends to it is not
 * documented, so the first entry may be the client's own invention. The last entry is the one the
 * edge wrote (a proxy appends the address it saw); entries the deployment's own proxies add after
 * it are private addresses. So the address used is the rightmost public entry of
 * `X-Forwarded-For`: a client can put anything in front of it, never after it.
 *
 * `CF-Connecting-IP`, `X-Real-IP` and the like are trusted only when the operator names one in
 * CLIENT_ADDRESS_HEADER (a self-hosted deployment behind Cloudflare or nginx that sets it): on a
 * deployment with no such proxy in front, any client can send them.
 *
 * IPv6 addresses are keyed on their /64: one subscriber usually holds a whole /64.
 */

/** Whether `ip` is private, loopback, link-local or otherwise not a client's public address. */
function isInternal(ip: string): boolean {
  if (ip.includes(":")) {
    const lower = ip.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return isInternal(mapped[1]);
    return lower === "::1" || lower === "::" || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
  }
  const [a, b] = ip.split(".").map(Number);
  return (
    a === 10 ||
    a === 127 ||
    a === 0 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f:.]{2,45}$/i;

/** An address as written in a header ("1.2.3.4", "1.2.3.4:5678", "[::1]:80", "::1"), or null. */
function parseAddress(raw: string): string | null {
  let s = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracketed) s = bracketed[1];
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(":"));
  if (IPV4.test(s)) return s;
  if (s.includes(":") && IPV6.test(s)) return s.toLowerCase();
  return null;
}

/** The key limits hang on: the IPv4 address, or the first four groups (/64) of an IPv6 one. */
function keyOf(ip: string): string {
  if (!ip.includes(":") || /^::ffff:\d/.test(ip)) return `ip:${ip.replace(/^::ffff:/, "")}`;
  const [head, tail = ""] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  return `ip6:${groups
    .slice(0, 4)
    .map((g) => (g || "0").replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * The rightmost public address in an `X-Forwarded-For` value; if every entry is internal, the
 * rightmost one (the address the nearest proxy saw). Null when there is none.
 */
export function addressFromForwardedFor(value: string): string | null {
  const entries = value
    .split(",")
    .map(parseAddress)
    .filter((a): a is string => a !== null);
  for (let i = entries.length - 1; i >= 0; i--) if (!isInternal(entries[i])) return entries[i];
  return entries.at(-1) ?? null;
}

/**
 * The key per-client limits use for this request ("ip:203.0.113.9", "ip6:2001:db8:1:2::/64"), or
 * null when the deployment passed no address on: then only the deployment-wide limits apply.
 * CLIENT_ADDRESS_HEADER (default `X-Forwarded-For`) names the header the deployment's edge sets.
 */
export function clientKey(request: Request): string | null {
  const name = process.env.CLIENT_ADDRESS_HEADER?.trim() || "X-Forwarded-For";
  const value = request.headers.get(name);
  if (value === null) return null;
  const ip = name.toLowerCase() === "x-forwarded-for" ? addressFromForwardedFor(value) : parseAddress(value);
  return ip === null ? null : keyOf(ip);
}

/** The bare address for Turnstile's siteverify `remoteip`, or null. */
export function clientIp(request: Request): string | null {
  const key = clientKey(request);
  return key?.startsWith("ip:") ? key.slice(3) : null;
}
