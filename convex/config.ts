/** What the widget needs to know about this deployment before the first prompt. */
import { v } from "convex/values";
import { query } from "./_generated/server";
import { getLimits } from "./lib/limits";
import { modelConfig } from "./lib/models";

export const get = query({
  args: {},
  returns: v.object({ model: v.string(), demo: v.boolean(), maxPromptChars: v.number() }),
  handler: async () => {
    const config = modelConfig();
    return { model: config.model, demo: config.provider === "demo", maxPromptChars: getLimits().maxPromptChars };
  },
});
