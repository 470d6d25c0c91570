import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// The component's own cron marks abandoned streams `timeout`; this carries that over to our
// messages and threads (views already show `timeout` before it runs).
crons.interval("reconcile timed-out replies", { minutes: 1 }, internal.streams.reconcileTimeouts, {});

// Revoked and expired sessions and observer tokens, and token usage older than a week.
crons.interval("clean up expired tokens and old usage", { hours: 1 }, internal.cleanup.run, {});

// Queued replies no runner will take (their runner crashed): a new runner, when a slot is free.
crons.interval("rescue queued replies", { minutes: 1 }, internal.queueRunner.rescue, {});

export default crons;
