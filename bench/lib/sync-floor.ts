import pg from "pg";
import type { ErpDatabase } from "../../connector-host/simulator/store.ts";
import { copyCatalog } from "./copy-catalog.ts";

export interface FloorResult {
  seconds: number;
  copySeconds: number;
  indexSeconds: number;
  rows: number;
}

/** The floor of a sync: the same rows COPYed into tables of the same shape, then the same indexes built. */
export async function syncFloor(url: string, erp: ErpDatabase): Promise<FloorResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS floor CASCADE; CREATE SCHEMA floor`);
    for (const t of ["articles", "media", "cross_references"]) await c.query(`CREATE TABLE floor.${t} (LIKE public.${t} INCLUDING DEFAULTS INCLUDING GENERATED)`);
    const started = performance.now();
    const rows = await copyCatalog(c, erp, "floor", "floor");
    const copied = performance.now();
    const idx = await c.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('articles', 'media', 'cross_references')`);
    for (const r of idx.rows as { indexname: string; indexdef: string }[]) {
      await c.query(r.indexdef.replace(`INDEX ${r.indexname} ON public.`, `INDEX floor_${r.indexname} ON floor.`));
    }
    const done = performance.now();
    // Only timed: left behind, its autovacuum would run through the incremental runs.
    await c.query(`DROP SCHEMA floor CASCADE`);
    return { seconds: (done - started) / 1000, copySeconds: (copied - started) / 1000, indexSeconds: (done - copied) / 1000, rows };
  } finally {
    await c.end();
  }
}
