// Finishing a reply reads a bounded number of documents however many deltas it has: the text
// of every 64 deltas is compacted into one row as they are appended.
import { expect, test } from "vitest";
import { appendDelta, COMPACT_EVERY, persistedText } from "../../convex/lib/replies";
import { setup } from "./setup";

test("the whole text is read from the compacted row and fewer than 64 deltas", async () => {
  const t = setup();
  const pieces = Array.from({ length: 10 * COMPACT_EVERY + 5 }, (_, i) => `w${i} `);
  await t.run(async (ctx) => {
    for (const piece of pieces) await appendDelta(ctx, "s1", piece);
  });
  // Drop every delta already compacted: the text must not need them.
  const { text, tailDeltas } = await t.run(async (ctx) => {
    const deltas = await ctx.db.query("deltas").collect();
    for (const d of deltas) if (d.seq < 10 * COMPACT_EVERY) await ctx.db.delete(d._id);
    return { text: await persistedText(ctx, "s1"), tailDeltas: (await ctx.db.query("deltas").collect()).length };
  });
  expect(tailDeltas).toBe(5);
  expect(text).toBe(pieces.join(""));
});

test("deltas keep their offsets and seqs across compactions", async () => {
  const t = setup();
  await t.run(async (ctx) => {
    for (let i = 0; i < 2 * COMPACT_EVERY + 1; i++) await appendDelta(ctx, "s1", "ab");
  });
  const deltas = await t.run(async (ctx) => ctx.db.query("deltas").collect());
  expect(deltas.map((d) => [d.seq, d.start])).toEqual(deltas.map((_, i) => [i, 2 * i]));
});
