import { httpRouter } from "convex/server";
import { corsRouter } from "convex-helpers/server/cors";
import { chatStream } from "./chat";
import { allowedOrigins } from "./lib/origins";
import { create as createVisitor } from "./visitors";

const http = httpRouter();

// Tokens travel in the Authorization header, not cookies, so `*` is a safe default. The
// handlers refuse a disallowed Origin themselves (403 ORIGIN_NOT_ALLOWED): CORS headers alone
// would still let the POST run.
const cors = corsRouter(http, {
  allowedOrigins: async () => allowedOrigins(),
  allowedHeaders: ["Authorization", "Content-Type"],
  exposedHeaders: ["Retry-After"],
});

cors.route({ path: "/chat-stream", method: "POST", handler: chatStream });
cors.route({ path: "/visitors", method: "POST", handler: createVisitor });

export default http;
