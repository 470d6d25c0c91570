import { PersistentTextStreaming, type StreamId } from "@convex-dev/persistent-text-streaming";
import { v } from "convex/values";
import { components } from "./_generated/api";
import { mutation, query } from "./_generated/server";

const streaming = new PersistentTextStreaming(components.persistentTextStreaming);

/** A new stream in the nested streaming component. */
export const create = mutation({
  args: {},
  returns: v.string(),
  handler: async (ctx) => await streaming.createStream(ctx),
});

/** A stream's persisted text and status. */
export const body = query({
  args: { streamId: v.string() },
  returns: v.object({ text: v.string(), status: v.string() }),
  handler: async (ctx, { streamId }) => {
    const { text, status } = await streaming.getStreamBody(ctx, streamId as StreamId);
    return { text, status };
  },
});

export { streaming };
