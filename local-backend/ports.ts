// Where the local backend listens: the deployment on a port and its site (HTTP actions) on the
// next one, as `convex dev --local` has them. Pages rely on it: a widget given only a local
// deployment URL on port N finds the site on N + 1 (src/site-url.ts).
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { LocalBackendError } from "./engine.js";

/** How many free ports `listenOnAdjacentPorts` tries before it gives up. */
const ADJACENT_PORT_TRIES = 50;

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (e.code === "EADDRINUSE") {
        reject(
          new LocalBackendError(
            `port ${port} is already in use (another backend running? pick one with --port or BACKEND_PORT)`,
          ),
        );
      } else if (e.code === "EACCES") {
        reject(new LocalBackendError(`no permission to listen on port ${port}`));
      } else {
        reject(e);
      }
    };
    const onListening = () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Listens `deployment` on a free port P and `site` on P + 1; returns P. When P + 1 is taken it
 * lets P go and tries another free port: on Linux a listener's free port is even and an outgoing
 * connection's source port odd, so a busy machine often holds P + 1 for a moment. A site on any
 * other port would leave every page that names only the deployment URL unable to send.
 * `firstTry` is a port to try before asking the system for one (tests give one whose neighbour
 * they hold).
 */
export async function listenOnAdjacentPorts(
  deployment: Server,
  site: Server,
  host: string,
  firstTry = 0,
): Promise<number> {
  for (let attempt = 0; attempt < ADJACENT_PORT_TRIES; attempt++) {
    const port = await listen(deployment, attempt === 0 ? firstTry : 0, host);
    if (port < 65535) {
      try {
        await listen(site, port + 1, host);
        return port;
      } catch (e) {
        // Taken (or not ours to take): let P go and ask for another. Anything else is a real fault.
        if (!(e instanceof LocalBackendError)) {
          await closeServer(deployment);
          throw e;
        }
      }
    }
    await closeServer(deployment);
  }
  throw new LocalBackendError(
    `found no free port P with P + 1 free in ${ADJACENT_PORT_TRIES} tries (the site listens beside the deployment); give both with --port`,
  );
}
