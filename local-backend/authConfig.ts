// convex/auth.config.ts evaluated as a deployment evaluates it when functions are pushed
// (get-convex/convex-backend crates/isolate/src/environment/auth_config.rs): bundled into one
// module (as the CLI bundles it), run with only `process.env`, where reading a variable that is
// not set throws "Environment variable X is used in auth config file but its value was not set"
// (catchable, as any op error is), and the default export kept as its JSON.
import { existsSync } from "node:fs";
import path from "node:path";
import vm from "node:vm";
import * as esbuild from "esbuild";

export type AuthConfigJson = { providers: unknown[] };

/** The config, or null when there is no auth.config.ts/.js. Throws with the deployment's wording. */
export async function evaluateAuthConfig(
  convexDir: string,
  env: (name: string) => string | undefined,
): Promise<AuthConfigJson | null> {
  const file = ["auth.config.ts", "auth.config.js"]
    .map((name) => path.join(convexDir, name))
    .find((f) => existsSync(f));
  if (!file) return null;
  const bundle = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: "cjs",
    platform: "browser",
    logLevel: "silent",
  });
  const processEnv = new Proxy(
    {},
    {
      get(_target, name) {
        if (typeof name !== "string") return undefined;
        const value = env(name);
        if (value === undefined)
          throw new Error(`Environment variable ${name} is used in auth config file but its value was not set`);
        return value;
      },
    },
  );
  const module = { exports: {} as { default?: unknown } };
  vm.runInNewContext(
    bundle.outputFiles[0]!.text,
    { module, exports: module.exports, process: { env: processEnv } },
    { filename: file },
  );
  const config = module.exports.default;
  if (config === undefined || config === null) {
    throw new Error(
      "auth config file is missing default export. To learn more, see the auth documentation at https://docs.convex.dev/auth.",
    );
  }
  const json = JSON.parse(JSON.stringify(config)) as { providers?: unknown };
  if (!Array.isArray(json.providers))
    throw new Error("auth config file must include a list of provider credentials: missing field `providers`");
  return { providers: json.providers };
}
