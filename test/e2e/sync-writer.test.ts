import type { Pool } from "@neondatabase/serverless";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OrderedWrites } from "../../durable-objects/sync/ordered-writes.ts";
import { type ValidChunk, validateChunk } from "../../durable-objects/sync/rows.ts";
import { WriteBatch } from "../../durable-objects/sync/write-batch.ts";
import { SyncWriter } from "../../durable-objects/sync/writer.ts";
import type { SyncCursor } from "../../schema/sync.ts";
import { adminHttp } from "./client.ts";

// Two transactions at once need a real Postgres (PGlite shares one session between connections).
const realPostgres = inject("postgresKind") === "system";
const pool = new pg.Pool({ connectionString: inject("stackDatabaseUrl"), max: 4 });
const tenantId = `writer-${Date.now().toString(36)}`;
let runSeq = 0;

/** Articles whose names share the same words, so concurrent chunks touch the same dictionary rows. */
function chunk(from: number, n: number): WriteBatch {
  const batch = new WriteBatch("articles");
  batch.add(changesFrom(from, n));
  return batch;
}

function changesFrom(from: number, n: number): ValidChunk {
  const rows = Array.from({ length: n }, (_, i) => {
    const rv = from + i;
    const articleId = `A${rv}`;
    return {
      rowversion: rv, key: articleId, deleted: false,
      row: {
        articleId, articleNumber: `SW-${rv}`, name: `Sechskantschraube Edelstahl Muttern ${rv % 7 === 0 ? "Senkkopf" : "Zylinderkopf"}`, description: "", brand: "Bosch",
        ean: null, manufacturerNumber: null, categoryIds: ["K1"], rowversion: rv, changedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, rv)).toISOString(),
        attributes: [{ key: "Gewinde", value: `M${(rv % 12) + 3}`, unit: null, position: 0 }],
      },
    };
  });
  return validateChunk("articles", rows);
}

async function newRun(mode: "full" | "incremental"): Promise<SyncWriter> {
  const runId = `writer-test-${++runSeq}`;
  await pool.query(`INSERT INTO sync_runs (tenant_id, run_id, mode, status, stage, trigger) VALUES ($1, $2, $3, 'succeeded', 'articles', 'admin')`, [tenantId, runId, mode]);
  // node-postgres: the Neon driver in the Worker is its fork with the same Pool API.
  return new SyncWriter(pool as unknown as Pool, tenantId, runId, mode);
}

/** Writes `chunks` chunks of 50 articles from rowversion 1, two at a time; returns the run's cursor. */
async function writeAll(writer: SyncWriter, chunks: number): Promise<SyncCursor> {
  const writes = new OrderedWrites(2);
  const cursor: SyncCursor = { after: {} };
  for (let c = 0; c < chunks; c++) {
    const batch = chunk(1 + c * 50, 50);
    await writes.push((previous) => writer.writeBatch(batch, cursor, previous));
  }
  await writes.drain();
  return cursor;
}

const checkpoint = async () => Number((await pool.query(`SELECT rowversion FROM sync_checkpoints WHERE tenant_id = $1 AND entity = 'articles'`, [tenantId])).rows[0]?.rowversion ?? 0);
const wordCount = async (word: string) => Number((await pool.query(`SELECT ndoc FROM search_words WHERE tenant_id = $1 AND word = $2`, [tenantId, word])).rows[0]?.ndoc ?? 0);

beforeAll(async () => {
  expect((await adminHttp("/tenants", { method: "POST", json: { tenantId, name: tenantId } })).status).toBe(201);
});
afterAll(async () => {
  await pool.end();
});

describe.runIf(realPostgres)("sync writer: chunks written two at a time, committed in stream order", () => {
  it("writes concurrent chunks sharing dictionary words without blocking each other, and counts every word once per written article", async () => {
    const writer = await newRun("full");
    // 8 chunks of 50 articles, each pair in flight at once on two connections.
    const cursor = await writeAll(writer, 8);
    expect(cursor.after?.articles).toBe(400);
    expect(await checkpoint()).toBe(400);
    expect(Number((await pool.query(`SELECT count(*) FROM articles WHERE tenant_id = $1`, [tenantId])).rows[0].count)).toBe(400);
    // Words come from the writer (in commit order), not from the trigger, and only once each.
    expect(await wordCount("sechskantschraube")).toBe(400);
    expect(await wordCount("senkkopf")).toBe(Array.from({ length: 400 }, (_, i) => i + 1).filter((rv) => rv % 7 === 0).length);
    const run = (await pool.query(`SELECT rows_done, cursor FROM sync_runs WHERE tenant_id = $1 AND run_id = $2`, [tenantId, writer.runId])).rows[0] as { rows_done: string; cursor: SyncCursor };
    expect(Number(run.rows_done)).toBe(400);
    expect(run.cursor.after?.articles).toBe(400);
  });

  it("replaying chunks that are already in (a resume) changes no row and no word count", async () => {
    const before = await wordCount("sechskantschraube");
    await writeAll(await newRun("incremental"), 4);
    expect(await wordCount("sechskantschraube")).toBe(before);
    expect(Number((await pool.query(`SELECT count(*) FROM articles WHERE tenant_id = $1`, [tenantId])).rows[0].count)).toBe(400);
  });

  it("a chunk that fails rolls back the chunks after it, and the checkpoint stays at the last chunk fully in", async () => {
    const writer = await newRun("incremental");
    const writes = new OrderedWrites(2);
    const cursor: SyncCursor = { after: {} };
    const good = chunk(1001, 50);
    // Bypasses validation on purpose: a name the database refuses (NUL) fails that chunk inside Postgres.
    const bad = new WriteBatch("articles");
    const valid = changesFrom(1051, 50);
    bad.add({ ...valid, changes: valid.changes.map((c, i) => (i === 10 && !c.deleted ? { ...c, row: { ...(c.row as object), name: "bad\u0000name" } } : c)) });
    const after = chunk(1101, 50);
    await writes.push((previous) => writer.writeBatch(good, cursor, previous));
    await writes.push((previous) => writer.writeBatch(bad, cursor, previous));
    const third = writes.push((previous) => writer.writeBatch(after, cursor, previous)).then(() => writes.drain());
    await expect(third).rejects.toThrow();
    // As the runner does when a stage fails: let the writes already started finish first.
    await expect(writes.drain()).rejects.toThrow();
    expect(await checkpoint()).toBe(1050);
    const ids = (await pool.query(`SELECT article_id FROM articles WHERE tenant_id = $1 AND article_id IN ('A1050', 'A1051', 'A1101', 'A1150')`, [tenantId])).rows.map((r: { article_id: string }) => r.article_id);
    expect(ids).toEqual(["A1050"]);
  });
});

describe("OrderedWrites", () => {
  it("keeps at most `depth` writes running and commits in push order even when a later write finishes its work first", async () => {
    const writes = new OrderedWrites(2);
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const write = (name: string, workMs: number) => async (previous: Promise<void>) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, workMs));
      log.push(`${name} worked`);
      await previous;
      log.push(`${name} committed`);
      running--;
    };
    await writes.push(write("a", 30));
    await writes.push(write("b", 1));
    await writes.push(write("c", 1));
    await writes.drain();
    expect(maxRunning).toBe(2);
    expect(log.filter((l) => l.endsWith("committed"))).toEqual(["a committed", "b committed", "c committed"]);
    expect(log.indexOf("b worked")).toBeLessThan(log.indexOf("a committed"));
  });
});
