import type { BenchOptions, Section } from "./lib/util.ts";
export async function bundleSize(_opts: BenchOptions): Promise<Section> {
  return { rows: [], notes: [] };
}
