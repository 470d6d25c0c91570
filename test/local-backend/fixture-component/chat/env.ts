import { v } from "convex/values";
import { action, env, query } from "./_generated/server";

const seen = v.object({
  greeting: v.union(v.null(), v.string()),
  mode: v.union(v.null(), v.string()),
  appOnly: v.union(v.null(), v.string()),
  siteUrl: v.union(v.null(), v.string()),
  keys: v.array(v.string()),
});

function read() {
  return {
    greeting: env.GREETING ?? null,
    mode: process.env.MODE ?? null,
    // Set for the app, never bound to the component.
    appOnly: process.env.APP_ONLY ?? null,
    siteUrl: process.env.CONVEX_SITE_URL ?? null,
    keys: Object.keys(process.env).sort(),
  };
}

/** The component's environment as a query sees it. */
export const inQuery = query({ args: {}, returns: seen, handler: async () => read() });

/** The component's environment as an action sees it. */
export const inAction = action({ args: {}, returns: seen, handler: async () => read() });
