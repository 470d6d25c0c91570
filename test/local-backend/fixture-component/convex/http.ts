import { httpRouter } from "convex/server";
import { httpAction } from "./_generated/server";

const http = httpRouter();
const from = (where: string) => httpAction(async (_ctx, request) => Response.json({ from: where, url: request.url }));

http.route({ path: "/hello", method: "GET", handler: from("app") });
// An exact app route inside the component's mount: the exact route wins.
http.route({ path: "/chat/shadowed", method: "GET", handler: from("app exact") });
// A prefix longer than the mount: the longer prefix wins.
http.route({ pathPrefix: "/chat/files/app/", method: "GET", handler: from("app prefix") });

export default http;
