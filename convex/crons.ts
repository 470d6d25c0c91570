import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// The component's own cron marks abandoned streams `timeout`; this carries that over to our
// messages and threads (views already show `timeout` before it runs).
crons.interval("reconcile timed-out replies", { minutes: 1 }, internal.streams.reconcileTimeouts, {});

export default crons;
