// A local component, as convex/ will become one: its own definition, schema, functions and
// _generated, nesting two published components, with variables its installer binds.
import { defineComponent } from "convex/server";
import { v } from "convex/values";
import persistentTextStreaming from "@convex-dev/persistent-text-streaming/convex.config";
import rateLimiter from "@convex-dev/rate-limiter/convex.config";

const component = defineComponent("chat", {
  env: {
    GREETING: v.optional(v.string()),
    MODE: v.union(v.literal("test"), v.literal("live")),
  },
});
component.use(persistentTextStreaming);
component.use(rateLimiter);
export default component;
