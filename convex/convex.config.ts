import { defineApp } from "convex/server";
import persistentTextStreaming from "@convex-dev/persistent-text-streaming/convex.config";
import rateLimiter from "@convex-dev/rate-limiter/convex.config";

const app = defineApp();
// Stream lifecycle + chunk storage, so the stock `getStreamBody` sees every reply.
app.use(persistentTextStreaming);
// Per-visitor and global message budgets.
app.use(rateLimiter);

export default app;
