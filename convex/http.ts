import { httpRouter } from "convex/server";
import { corsRouter } from "convex-helpers/server/cors";
import { chatStream } from "./chat";

/** ALLOWED_ORIGINS: comma-separated origins (`https://a.example, *.b.example`), default `*`. */
function allowedOrigins(raw: string | undefined = process.env.ALLOWED_ORIGINS): string[] {
  const list = (raw ?? "*")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  return list.length > 0 ? list : ["*"];
}

const http = httpRouter();

// Tokens travel in the Authorization header, not cookies, so `*` is a safe default.
const cors = corsRouter(http, {
  allowedOrigins: async () => allowedOrigins(),
  allowedHeaders: ["Authorization", "Content-Type"],
  exposedHeaders: ["Retry-After"],
});

cors.route({ path: "/chat-stream", method: "POST", handler: chatStream });

export default http;
