// A far visitor on loopback: a TCP proxy in front of a local backend's two ports (the deployment
// and its site, on consecutive ports as the element derives them) that delays every chunk by half
// the round trip in each direction, in order, and makes a new connection pay two round trips
// (TCP + TLS 1.3) from the moment it is opened before its first bytes go anywhere. A connection
// opened ahead of time (a preconnect) has paid them by the time its first request is sent, as on
// a real network. The backend checks `Host`, so the proxy rewrites it to the backend's address.
import { createServer, connect, type Server, type Socket } from "node:net";

export type LatencyProxy = { convexUrl: string; rttMs: number; close(): Promise<void> };

/** Sends `chunk` on `to` at `at` (ms, performance.now()), never before what was queued earlier. */
class DelayedPipe {
  private last = 0;
  constructor(
    private readonly to: Socket,
    private readonly transform: (chunk: Buffer) => Buffer = (c) => c,
  ) {}
  send(chunk: Buffer, at: number): void {
    const when = Math.max(at, this.last);
    this.last = when;
    const data = this.transform(chunk);
    setTimeout(() => this.to.destroyed || this.to.write(data), Math.max(0, when - performance.now()));
  }
  end(at: number): void {
    const when = Math.max(at, this.last);
    setTimeout(() => this.to.end(), Math.max(0, when - performance.now()));
  }
}

function proxyServer(listenPort: number, targetPort: number, rttMs: number, sockets: Set<Socket>): Server {
  const half = rttMs / 2;
  const hostFrom = new RegExp(`\\r\\nhost: 127\\.0\\.0\\.1:${listenPort}\\r\\n`, "gi");
  const hostTo = `\r\nHost: 127.0.0.1:${targetPort}\r\n`;
  return createServer((client) => {
    const openedAt = performance.now();
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const up = new DelayedPipe(upstream, (c) => Buffer.from(c.toString("latin1").replace(hostFrom, hostTo), "latin1"));
    const down = new DelayedPipe(client);
    // The handshakes: nothing from the client arrives before the connection is two round trips old.
    const ready = openedAt + 2 * rttMs;
    client.on("data", (c) => up.send(c, Math.max(performance.now(), ready) + half));
    upstream.on("data", (c) => down.send(c, performance.now() + half));
    client.on("end", () => up.end(performance.now() + half));
    upstream.on("end", () => down.end(performance.now() + half));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", () => sockets.delete(client));
    upstream.on("close", () => sockets.delete(upstream));
  });
}

function listen(server: Server, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => resolve(true));
  });
}

/** Proxies the backend at `convexUrl` and `siteUrl` with `rttMs` of round trip (the site on the proxy's next port). */
export async function startLatencyProxy(convexUrl: string, siteUrl: string, rttMs: number): Promise<LatencyProxy> {
  const backendPort = Number(new URL(convexUrl).port);
  const sitePort = Number(new URL(siteUrl).port);
  const sockets = new Set<Socket>();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const deployment = proxyServer(port, backendPort, rttMs, sockets);
    const site = proxyServer(port + 1, sitePort, rttMs, sockets);
    if (!(await listen(deployment, port))) continue;
    if (!(await listen(site, port + 1))) {
      deployment.close();
      continue;
    }
    return {
      convexUrl: `http://127.0.0.1:${port}`,
      rttMs,
      close: async () => {
        for (const s of sockets) s.destroy();
        await Promise.all([deployment, site].map((s) => new Promise((r) => s.close(r))));
      },
    };
  }
  throw new Error("no two free consecutive ports for the latency proxy");
}
