// Discovers the component tree of a Convex app the way the Convex CLI does.
//
// `convex.config.ts` cannot be imported as is: `app.use(def)` throws outside the Convex
// runtime unless `def` carries `componentDefinitionPath`, which the CLI's bundler injects.
// We bundle it with esbuild and a plugin that wraps every imported `convex.config.*` module
// to add that field (and `defaultName`), then call the definition's own `export()` to read
// its child components. The same is done recursively for each component's definition, so
// nested components (a component that `use`s another) are found too.
import * as esbuild from "esbuild";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** One instantiated component, e.g. `persistentTextStreaming` or `parent/child`. */
export interface ComponentNode {
  /** Name under its parent (`components.<name>` in the parent's `_generated/api`). */
  name: string;
  /** Full component path as the runtime addresses it: `a` or `a/b`. */
  componentPath: string;
  /** Directory of the component's `convex.config.js` relative to the app's convex dir, POSIX. */
  definitionPath: string;
  /** Absolute directory holding the component's modules (`convex.config.js`, `schema.js`, ...). */
  dir: string;
  /**
   * Where its HTTP routes are served, from the site root ("/chat/"), or null when its parent
   * did not mount it. A nested mount is the parent's prefix joined with the child's, as a
   * deployment composes them (crates/model/src/components/type_checking.rs).
   */
  httpPrefix: string | null;
  /**
   * The environment variables it declared (`defineComponent(name, { env })`), each bound as its
   * parent bound it, already resolved through the parents: a literal, or the name of a
   * deployment (app) variable read when a function asks. Undeclared names are not here.
   */
  env: Map<string, EnvBinding>;
  children: ComponentNode[];
}

/** A component's environment variable as the parent bound it (`{ K: "literal" }` or `{ K: app.env.X }`). */
export type EnvBinding = { type: "value"; value: string } | { type: "envVar"; name: string };

/** A declared variable: its validator as JSON text, and whether it may be left unbound. */
export type EnvDeclaration = [string, { type: "value"; value: string; optional?: boolean }];

/** What a definition's `export()` returns (the analysis the CLI sends to the backend). */
export interface DefinitionAnalysis {
  definitionType: { type: "app" } | { type: "childComponent"; name: string };
  /** The app's own `defineApp({ httpPrefix })`, normalized to end with "/". */
  httpPrefix?: string;
  childComponents: { name: string; path: string; env: [string, EnvBinding][] | null }[];
  /** Mount path ("/chat/") -> `_reference/childComponent/<name>`. */
  httpMounts: Record<string, string>;
  envVars?: EnvDeclaration[];
  exports: { type: "branch"; branch: unknown[] };
  [key: string]: unknown;
}

export interface ComponentTree {
  /** Analysis per definition path ("" is the app). */
  definitions: Map<string, DefinitionAnalysis>;
  /** Top-level components of the app, each with its nested children. */
  components: ComponentNode[];
}

const CONFIG_NAMES = ["convex.config.ts", "convex.config.js", "convex.config.mts", "convex.config.mjs"];

function findConfig(dir: string): string | null {
  for (const name of CONFIG_NAMES) {
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

function toPosix(p: string): string {
  return p.split(path.sep).join(path.posix.sep);
}

/** Bundle one definition file and return its default export's `export()` analysis. */
async function analyzeDefinition(configFile: string, rootDir: string): Promise<DefinitionAnalysis> {
  const plugin: esbuild.Plugin = {
    name: "component-definition-path",
    setup(build) {
      build.onResolve({ filter: /convex\.config(\.[cm]?[jt]s)?$/ }, async (args) => {
        if (args.kind === "entry-point" || args.namespace === "component-definition") return undefined;
        if (args.pluginData?.raw) return undefined;
        const resolved = await build.resolve(args.path, {
          resolveDir: args.resolveDir,
          kind: args.kind,
          importer: args.importer,
          pluginData: { raw: true },
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return { path: resolved.path, namespace: "component-definition" };
      });
      build.onLoad({ filter: /.*/, namespace: "component-definition" }, (args) => {
        // The CLI's definition path: the component's directory relative to the app's convex dir.
        const definitionPath = toPosix(path.relative(rootDir, path.dirname(args.path)));
        return {
          resolveDir: path.dirname(args.path),
          contents:
            `import def from ${JSON.stringify(args.path)};\n` +
            `def.componentDefinitionPath = ${JSON.stringify(definitionPath)};\n` +
            `if (def.defaultName === undefined) def.defaultName = def._name;\n` +
            `export default def;\n`,
          loader: "js",
        };
      });
      // Make the wrapper's own import of the real file resolve normally.
      build.onResolve({ filter: /.*/, namespace: "component-definition" }, async (args) => {
        const resolved = await build.resolve(args.path, {
          resolveDir: args.resolveDir,
          kind: args.kind,
          pluginData: { raw: true },
        });
        return resolved.errors.length > 0 ? { errors: resolved.errors } : { path: resolved.path };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [configFile],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "silent",
    plugins: [plugin],
  });
  // The bundle is self-contained; import it from a temp file (data: URLs are not supported
  // by every loader this may run under, e.g. vitest).
  const tmp = mkdtempSync(path.join(tmpdir(), "local-backend-config-"));
  const file = path.join(tmp, "convex.config.bundle.mjs");
  try {
    writeFileSync(file, result.outputFiles[0].text);
    const mod = await import(pathToFileURL(file).href);
    const def = mod.default;
    if (!def || typeof def.export !== "function") {
      throw new Error(`default export is not a Convex app/component definition`);
    }
    return def.export() as DefinitionAnalysis;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Read the component tree of the app in `convexDir`. An app without `convex.config.ts`
 * has no components.
 */
export async function discoverComponents(convexDir: string): Promise<ComponentTree> {
  const definitions = new Map<string, DefinitionAnalysis>();
  const appConfig = findConfig(convexDir);
  if (appConfig === null) {
    definitions.set("", {
      definitionType: { type: "app" },
      childComponents: [],
      httpMounts: {},
      exports: { type: "branch", branch: [] },
    });
    return { definitions, components: [] };
  }
  let appAnalysis: DefinitionAnalysis;
  try {
    appAnalysis = await analyzeDefinition(appConfig, convexDir);
  } catch (e) {
    throw new Error(`failed to load ${path.relative(process.cwd(), appConfig)}: ${errorText(e)}`);
  }
  definitions.set("", appAnalysis);

  async function build(
    parentPath: string,
    analysis: DefinitionAnalysis,
    parentPrefix: string | null,
    parentEnv: Map<string, EnvBinding> | null,
  ): Promise<ComponentNode[]> {
    const nodes: ComponentNode[] = [];
    const mountOf = new Map<string, string>();
    for (const [mount, reference] of Object.entries(analysis.httpMounts ?? {})) {
      mountOf.set(reference.replace(/^_reference\/childComponent\//, ""), mount);
    }
    for (const child of analysis.childComponents) {
      const dir = path.resolve(convexDir, child.path);
      const componentPath = parentPath ? `${parentPath}/${child.name}` : child.name;
      let childAnalysis = definitions.get(child.path);
      if (childAnalysis === undefined) {
        const config = findConfig(dir);
        if (config === null) throw new Error(`component "${componentPath}": no convex.config.js in ${dir}`);
        try {
          childAnalysis = await analyzeDefinition(config, convexDir);
        } catch (e) {
          throw new Error(`failed to load component definition ${config}: ${errorText(e)}`);
        }
        definitions.set(child.path, childAnalysis);
      }
      const env = bindEnv(componentPath, child.env ?? [], childAnalysis.envVars ?? [], parentEnv);
      const mount = mountOf.get(child.name);
      const httpPrefix =
        mount === undefined ? null : parentPrefix === null ? mount : `${parentPrefix.replace(/\/$/, "")}${mount}`;
      nodes.push({
        name: child.name,
        componentPath,
        definitionPath: child.path,
        dir,
        httpPrefix,
        env,
        children: await build(componentPath, childAnalysis, httpPrefix, env),
      });
    }
    return nodes;
  }
  return { definitions, components: await build("", appAnalysis, null, null) };
}

/**
 * A child's bindings checked against its declarations as a push checks them
 * (crates/model/src/components/type_checking.rs check_args, validate_component_env), then
 * resolved through the parent: a binding to a parent component's variable becomes whatever
 * the parent's own binding is (none: the variable stays unset); a binding to an app variable
 * stays a reference, read when a function asks, as a deployment reads it.
 */
function bindEnv(
  componentPath: string,
  bindings: [string, EnvBinding][],
  declared: EnvDeclaration[],
  parentEnv: Map<string, EnvBinding> | null,
): Map<string, EnvBinding> {
  const declarations = new Map(declared);
  const out = new Map<string, EnvBinding>();
  for (const [name, binding] of bindings) {
    const declaration = declarations.get(name);
    if (!declaration) throw new Error(`Component "${componentPath}" has no env var named "${name}"`);
    if (binding.type === "value") {
      const validator = JSON.parse(declaration.value) as EnvValidatorJson;
      if (!envValueMatches(validator, binding.value)) {
        throw new Error(
          `Component "${componentPath}" has an invalid value for env var "${name}": ${JSON.stringify(binding.value)} does not match ${declaration.value}`,
        );
      }
      out.set(name, binding);
    } else if (parentEnv === null) {
      out.set(name, binding);
    } else {
      const resolved = parentEnv.get(binding.name);
      if (resolved) out.set(name, resolved);
    }
  }
  for (const [name, declaration] of declarations) {
    if (!declaration.optional && !bindings.some(([bound]) => bound === name)) {
      throw new Error(`Component "${componentPath}" is missing required env var "${name}"`);
    }
  }
  return out;
}

type EnvValidatorJson = { type: string; value?: unknown };

/** The string-like validators `defineComponent` accepts: string, string literal, unions of them. */
function envValueMatches(validator: EnvValidatorJson, value: string): boolean {
  switch (validator.type) {
    case "string":
      return true;
    case "literal":
      return validator.value === value;
    case "union":
      return (validator.value as EnvValidatorJson[]).some((member) => envValueMatches(member, value));
    default:
      return false;
  }
}

export function flattenComponents(nodes: ComponentNode[]): ComponentNode[] {
  return nodes.flatMap((n) => [n, ...flattenComponents(n.children)]);
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message.split("\n")[0];
  return String(e);
}
