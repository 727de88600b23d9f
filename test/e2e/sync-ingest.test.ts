import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { INGEST_HEADERS, INGEST_PATH } from "../../proto/tunnel.ts";
import type { SyncCursor } from "../../schema/sync.ts";
import { http } from "./client.ts";
import { pgQuery } from "./ground-truth.ts";
import { type LiveTenant, cleanupFixtures, liveTenant } from "./tenant-fixture.ts";

// The ingest route on its own, against the real Worker and Postgres: what a connector (or
// anyone holding a connector token) can and cannot make it write. The whole path, DO to
// connector to this route, is covered by sync.test.ts.
const url = inject("stackDatabaseUrl");
const STREAM = "b7f0d7e2-1111-4c2a-9d55-3a1e0c9f0a01";
let t: LiveTenant;
let other: LiveTenant;
let token: string;
let runId: string;

const article = (rv: number, name = `Sechskantschraube M${rv}`) => ({
  rowversion: rv, key: `A${rv}`, deleted: false,
  row: { articleId: `A${rv}`, articleNumber: `SW-${rv}`, name, description: "", brand: "Würth", ean: null, manufacturerNumber: null, categoryIds: [], rowversion: rv, changedAt: "2026-11-01T00:00:00.000Z", attributes: [{ key: "Gewinde", value: "M8", unit: null, position: 0 }] },
});

function post(seq: number | string, rows: unknown, opts: { token?: string; stream?: string; body?: string } = {}) {
  return http(INGEST_PATH, {
    method: "POST", token: opts.token ?? token, body: opts.body ?? JSON.stringify(rows),
    headers: { "content-type": "application/json", [INGEST_HEADERS.stream]: opts.stream ?? STREAM, [INGEST_HEADERS.seq]: String(seq) },
  });
}

const articleIds = async (tenantId: string) => (await pgQuery<{ article_id: string }>(url, `SELECT article_id FROM articles WHERE tenant_id = $1 ORDER BY rowversion`, [tenantId])).map((r) => r.article_id);
const run = async () => (await pgQuery<{ status: string; rows_done: string; cursor: SyncCursor; errors: { message: string }[] }>(url, `SELECT status, rows_done, cursor, errors FROM sync_runs WHERE tenant_id = $1 AND run_id = $2`, [t.tenantId, runId]))[0]!;

beforeAll(async () => {
  t = await liveTenant({}, { articles: 10 });
  other = await liveTenant({}, { articles: 10 });
  token = await t.connectorToken("werk-1");
  // A run as the tenant's TenantSession leaves it when its articles stage begins.
  runId = `ingest-test-${Date.now().toString(36)}`;
  const cursor: SyncCursor = { stage: "articles", after: {}, ingest: { stream: STREAM, entity: "articles", seq: -1 } };
  await pgQuery(url, `INSERT INTO sync_runs (tenant_id, run_id, mode, status, stage, trigger, cursor) VALUES ($1, $2, 'incremental', 'running', 'articles', 'admin', $3)`, [t.tenantId, runId, JSON.stringify(cursor)]);
});
afterAll(cleanupFixtures);

describe("sync ingest route", () => {
  it("refuses a missing, wrong or other kind of token before reading anything", async () => {
    expect((await post(0, [article(1)], { token: "" })).status).toBe(401);
    expect((await post(0, [article(1)], { token: `${token}x` })).status).toBe(401);
    expect((await post(0, [article(1)], { token: t.apiKey })).status).toBe(401);
    expect(await articleIds(t.tenantId)).toEqual([]);
  });

  it("names the header or body that is wrong", async () => {
    const noStream = await post(0, [article(1)], { stream: "" });
    expect(noStream.status).toBe(400);
    expect(noStream.body.error.message).toContain(INGEST_HEADERS.stream);
    const badSeq = await post("-1", [article(1)]);
    expect(badSeq.status).toBe(400);
    expect(badSeq.body.error.message).toContain(INGEST_HEADERS.seq);
    expect((await post(0, null, { body: "[{" })).body.error.code).toBe("malformed_json");
    expect((await post(0, [])).status).toBe(400);
    expect((await post(0, { rows: [] })).status).toBe(400);
  });

  it("commits batches in order, once each: a repeat is a duplicate, a gap is refused", async () => {
    const first = await post(0, [article(1), article(2)]);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "committed", runId, seq: 0, rows: 2, lastRowversion: 2 });
    // The same number again (the connector lost the answer) with other rows: nothing written.
    expect((await post(0, [article(3)])).body).toMatchObject({ status: "duplicate", committedSeq: 0 });
    const gap = await post(2, [article(3)]);
    expect(gap.status).toBe(409);
    expect(gap.body.error.code).toBe("sync_batch_out_of_order");
    expect(gap.body.expectedSeq).toBe(1);
    expect((await post(1, [article(3)])).body).toMatchObject({ status: "committed", seq: 1 });
    expect(await articleIds(t.tenantId)).toEqual(["A1", "A2", "A3"]);
    const r = await run();
    expect(Number(r.rows_done)).toBe(3);
    expect(r.cursor.after?.articles).toBe(3);
    expect(r.cursor.ingest?.seq).toBe(1);
  });

  it("refuses a stream the run does not drive, and another tenant's token cannot write into this run", async () => {
    const stale = await post(2, [article(4)], { stream: "0000aaaa-old-stream" });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("sync_stream_replaced");
    const foreign = await post(2, [article(4)], { token: await other.connectorToken("werk-1") });
    expect(foreign.status).toBe(409);
    expect(await articleIds(t.tenantId)).toEqual(["A1", "A2", "A3"]);
    expect(await articleIds(other.tenantId)).toEqual([]);
  });

  it("refuses a body over the limit with 413", async () => {
    const big = [{ ...article(4), row: { ...article(4).row, description: "x".repeat(9 * 1024 * 1024) } }];
    expect((await post(2, big)).status).toBe(413);
  });

  it("a row that does not validate fails the run, naming the row, and nothing of its batch is written", async () => {
    const bad = await post(2, [article(4), article(5, "")]);
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("sync_batch_rejected");
    expect(bad.body.error.message).toMatch(/articles row #1 \(key 'A5'\): name/);
    const r = await run();
    expect(r.status).toBe("failed");
    expect(r.errors.at(-1)!.message).toMatch(/key 'A5'/);
    expect(r.cursor.after?.articles).toBe(3);
    expect(await articleIds(t.tenantId)).toEqual(["A1", "A2", "A3"]);
    // The run has ended: its stream takes nothing more.
    expect((await post(2, [article(4)])).body.error.code).toBe("sync_stream_replaced");
  });
});
