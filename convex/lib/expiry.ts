/**
 * Tokens expire by a scheduled write (`cleanup:expireSession`, `cleanup:expireShare`): a query
 * cannot see time pass, so only a write at the moment of expiry makes live subscriptions re-run.
 */
/**
 * The longest single wait scheduled for an expiry; a later one is reached in steps. Node's timers
 * (convex-test, and the local backend built on it) fire at once for waits over 2^31 - 1 ms
 * (24.8 days), which would revoke a 30-day observer token on the spot.
 */
export const EXPIRY_STEP_MS = 20 * 24 * 60 * 60 * 1000;

/** Schedules `expire` for `expiresAt`, or for the next step towards it. */
export async function scheduleExpiry(expiresAt: number, expire: (at: number) => Promise<unknown>): Promise<void> {
  await expire(Math.min(expiresAt, Date.now() + EXPIRY_STEP_MS));
}
