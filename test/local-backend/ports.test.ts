// The site listens on the deployment's port + 1, where a widget given only the deployment URL
// looks for it (src/site-url.ts), also when the system picks the port and P + 1 is busy.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, test } from "vitest";
import { closeServer, listen, listenOnAdjacentPorts } from "../../local-backend/ports.js";
import { startFixture } from "./helpers.js";

const HOST = "127.0.0.1";
const servers: Server[] = [];
const server = () => {
  const s = createServer();
  servers.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

/** A free port Q with Q + 1 held by another listener, as a busy machine's client sockets hold it. */
async function portWithBusyNeighbour(): Promise<number> {
  for (;;) {
    const probe = server();
    const q = await listen(probe, 0, HOST);
    await closeServer(probe);
    if (q >= 65535) continue;
    // Held by someone else already if this fails: busy all the same.
    await listen(server(), q + 1, HOST).catch(() => undefined);
    return q;
  }
}

test("when the first port's neighbour is taken, it lets that port go and takes another pair", async () => {
  const q = await portWithBusyNeighbour();
  const deployment = server();
  const site = server();
  const port = await listenOnAdjacentPorts(deployment, site, HOST, q);
  expect(port).not.toBe(q);
  expect((deployment.address() as AddressInfo).port).toBe(port);
  expect((site.address() as AddressInfo).port).toBe(port + 1);
  // Q was given back, not held by a server nobody uses.
  expect(await listen(server(), q, HOST)).toBe(q);
});

test("a backend on port 0 serves its site on the deployment's port + 1", async () => {
  const fx = await startFixture();
  try {
    const convexPort = Number(new URL(fx.backend.convexUrl).port);
    expect(Number(new URL(fx.backend.siteUrl).port)).toBe(convexPort + 1);
    const res = await fetch(`http://${HOST}:${convexPort + 1}/no-such-route`);
    expect(res.status).toBe(404); // the site answers there, not a closed port
  } finally {
    await fx.cleanup();
  }
});
