// `npm run backend`: start only the local backend.
//
//   tsx local-backend/cli.ts [--port 3210] [--data .local-backend] [--reset] [--convex-dir ./convex]
//                            [--insecure-auth] [--allow-origin https://app.example]...
//
// Prints CONVEX_URL, CONVEX_SITE_URL and CONVEX_SELF_HOSTED_ADMIN_KEY (machine-readable lines
// other scripts may parse; the admin key is also in <data>/admin_key).
// Errors are one line on stderr and exit code 1.
import { parseArgs } from "node:util";
import { LocalBackendError, startLocalBackend } from "./index.js";

const USAGE =
  "usage: tsx local-backend/cli.ts [--port N] [--data DIR] [--reset] [--convex-dir DIR] [--quiet] [--insecure-auth] [--allow-origin ORIGIN]...";

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string" },
        data: { type: "string" },
        reset: { type: "boolean", default: false },
        "convex-dir": { type: "string" },
        quiet: { type: "boolean", default: false },
        "insecure-auth": { type: "boolean", default: false },
        "allow-origin": { type: "string", multiple: true, default: [] },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    throw new LocalBackendError(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const portText = values.port ?? process.env.BACKEND_PORT ?? "3210";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65534) throw new LocalBackendError(`invalid port "${portText}"`);

  const backend = await startLocalBackend({
    port,
    dataDir: values.data,
    reset: values.reset,
    convexDir: values["convex-dir"],
    quiet: values.quiet,
    insecureAuth: values["insecure-auth"],
    allowedOrigins: values["allow-origin"],
  });
  console.log(`CONVEX_URL=${backend.convexUrl}`);
  console.log(`CONVEX_SITE_URL=${backend.siteUrl}`);
  console.log(`CONVEX_SELF_HOSTED_ADMIN_KEY=${backend.adminKey}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`local-backend: ${signal}, saving and stopping`);
    backend.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`local-backend: stop failed: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((e: unknown) => {
  // Expected failures (port in use, missing folder, a file that fails to load) are one line.
  const message = e instanceof LocalBackendError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
  console.error(`local-backend: error: ${message}`);
  process.exit(1);
});
