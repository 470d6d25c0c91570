import { httpRouter } from "convex/server";
import type { StreamId } from "@convex-dev/persistent-text-streaming";
import { api } from "./_generated/api";
import { httpAction } from "./_generated/server";
import { streaming } from "./streams";

const http = httpRouter();

// What the component's route saw: its request URL, the caller (none on a deployment), its
// own messages.
http.route({
  path: "/hello",
  method: "GET",
  handler: httpAction(async (ctx, request) => {
    const identity = await ctx.auth.getUserIdentity();
    const messages = await ctx.runQuery(api.messages.list, {});
    return Response.json({
      from: "chat",
      url: request.url,
      identity: identity?.subject ?? null,
      messages: messages.length,
    });
  }),
});

http.route({
  path: "/messages",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const { text } = (await request.json()) as { text: string };
    await ctx.runMutation(api.messages.add, { text, via: "http" });
    return new Response(null, { status: 201 });
  }),
});

// Shadowed by the app's exact /chat/shadowed.
http.route({
  path: "/shadowed",
  method: "GET",
  handler: httpAction(async () => Response.json({ from: "chat" })),
});

http.route({
  pathPrefix: "/files/",
  method: "GET",
  handler: httpAction(async (_ctx, request) => Response.json({ from: "chat prefix", url: request.url })),
});

// Streams `chunks` into the nested streaming component's stream.
http.route({
  path: "/stream",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const { streamId, chunks } = (await request.json()) as { streamId: string; chunks: string[] };
    return await streaming.stream(ctx, request, streamId as StreamId, async (_ctx, _req, _id, append) => {
      for (const chunk of chunks) await append(chunk);
    });
  }),
});

export default http;
