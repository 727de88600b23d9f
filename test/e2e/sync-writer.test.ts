import type { Pool } from "@neondatabase/serverless";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ValidChunk, validateChunk } from "../../durable-objects/sync/rows.ts";
import { WriteBatch } from "../../durable-objects/sync/write-batch.ts";
import { type BatchOutcome, SyncWriter } from "../../durable-objects/sync/writer.ts";
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

const STREAM = "stream-under-test";

/** A running run whose articles stage is fed by STREAM (the run before it is marked done). */
async function newRun(mode: "full" | "incremental"): Promise<SyncWriter> {
  await pool.query(`UPDATE sync_runs SET status = 'succeeded' WHERE tenant_id = $1 AND status = 'running'`, [tenantId]);
  const runId = `writer-test-${++runSeq}`;
  const cursor: SyncCursor = { stage: "articles", after: {}, ingest: { stream: STREAM, entity: "articles", seq: -1 } };
  await pool.query(`INSERT INTO sync_runs (tenant_id, run_id, mode, status, stage, trigger, cursor) VALUES ($1, $2, $3, 'running', 'articles', 'admin', $4)`, [tenantId, runId, mode, JSON.stringify(cursor)]);
  // node-postgres: the Neon driver in the Worker is its fork with the same Pool API.
  return new SyncWriter(pool as unknown as Pool, tenantId, runId, mode);
}

/**
 * Writes batches numbered from 0 as the connector posts them: two at a time, and a batch that
 * overtook the one before it is written again once that one is in.
 */
async function writeInOrder(writer: SyncWriter, batches: WriteBatch[]): Promise<BatchOutcome[]> {
  const outcomes: Promise<BatchOutcome>[] = [];
  for (const [seq, batch] of batches.entries()) {
    const before = outcomes[seq - 1] ?? Promise.resolve(undefined);
    if (seq >= 2) await outcomes[seq - 2];
    outcomes.push(
      (async () => {
        for (;;) {
          const outcome = await writer.writeBatch(batch, STREAM, seq);
          if (outcome.kind !== "out_of_order") return outcome;
          await before;
        }
      })(),
    );
  }
  return Promise.all(outcomes);
}

/** Writes `chunks` batches of 50 articles from rowversion 1, two at a time; returns the run's cursor. */
async function writeAll(writer: SyncWriter, chunks: number): Promise<SyncCursor> {
  const outcomes = await writeInOrder(writer, Array.from({ length: chunks }, (_, c) => chunk(1 + c * 50, 50)));
  expect(outcomes.map((o) => o.kind)).toEqual(Array(chunks).fill("committed"));
  return writer.readCursor();
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

  it("a batch that fails rolls back, a later one cannot commit past it, and the checkpoint stays at the last batch fully in", async () => {
    const writer = await newRun("incremental");
    const good = chunk(1001, 50);
    // Bypasses validation on purpose: a name the database refuses (NUL) fails that batch inside Postgres.
    const bad = new WriteBatch("articles");
    const valid = changesFrom(1051, 50);
    bad.add({ ...valid, changes: valid.changes.map((c, i) => (i === 10 && !c.deleted ? { ...c, row: { ...(c.row as object), name: "bad\u0000name" } } : c)) });
    expect((await writer.writeBatch(good, STREAM, 0)).kind).toBe("committed");
    await expect(writer.writeBatch(bad, STREAM, 1)).rejects.toThrow();
    expect(await writer.writeBatch(chunk(1101, 50), STREAM, 2)).toEqual({ kind: "out_of_order", expectedSeq: 1 });
    expect(await checkpoint()).toBe(1050);
    const ids = (await pool.query(`SELECT article_id FROM articles WHERE tenant_id = $1 AND article_id IN ('A1050', 'A1051', 'A1101', 'A1150')`, [tenantId])).rows.map((r: { article_id: string }) => r.article_id);
    expect(ids).toEqual(["A1050"]);
  });

  it("a batch posted again, one of a replaced stream, or one that skips a number writes nothing", async () => {
    const writer = await newRun("incremental");
    expect((await writer.writeBatch(chunk(2001, 50), STREAM, 0)).kind).toBe("committed");
    const count = async () => Number((await pool.query(`SELECT count(*) FROM articles WHERE tenant_id = $1 AND rowversion BETWEEN 2001 AND 2100`, [tenantId])).rows[0].count);
    expect(await count()).toBe(50);
    const rowsDone = async () => Number((await pool.query(`SELECT rows_done FROM sync_runs WHERE tenant_id = $1 AND run_id = $2`, [tenantId, writer.runId])).rows[0].rows_done);
    // The same number again (its answer was lost), with rows that would change something.
    expect(await writer.writeBatch(chunk(2051, 50), STREAM, 0)).toEqual({ kind: "duplicate", committedSeq: 0 });
    expect(await writer.writeBatch(chunk(2051, 50), "another-stream", 1)).toEqual({ kind: "replaced" });
    expect(await writer.writeBatch(chunk(2051, 50), STREAM, 2)).toEqual({ kind: "out_of_order", expectedSeq: 1 });
    expect(await count()).toBe(50);
    expect(await rowsDone()).toBe(50);
    expect(await checkpoint()).toBe(2050);
    // A run that has ended takes nothing more of its stream.
    await pool.query(`UPDATE sync_runs SET status = 'failed' WHERE tenant_id = $1 AND run_id = $2`, [tenantId, writer.runId]);
    expect(await writer.writeBatch(chunk(2051, 50), STREAM, 1)).toEqual({ kind: "replaced" });
    expect(await count()).toBe(50);
  });
});
