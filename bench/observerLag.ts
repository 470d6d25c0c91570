import type { BenchOptions, Section } from "./lib/util.ts";
export async function observerLag(_opts: BenchOptions): Promise<Section> {
  return { rows: [], notes: [] };
}
