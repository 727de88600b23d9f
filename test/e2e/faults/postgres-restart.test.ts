import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RunningPostgres } from "../../../scripts/local/embedded-postgres.ts";
import { freePort } from "../../../scripts/local/ports.ts";
import { type Stack, startStack } from "../../../scripts/local/stack.ts";
import { startSystemPostgres } from "../../../scripts/local/system-postgres.ts";
import { FaultProxy } from "../../support/fault-proxy.ts";
import { recordScenario } from "../../support/scenario-log.ts";
import { adminHttp, useStack } from "../client.ts";
import { erpDigest, pgCounts, pgDigest } from "../ground-truth.ts";
import { cleanupFixtures, liveTenant, waitUntil } from "../tenant-fixture.ts";
import { type Bounded, bounded, runSucceeded, scaled, sleep, syncGaps } from "./harness.ts";

/**
 * Its own stack: a system Postgres behind a fault proxy (the stack's database URL points at the
 * proxy), so restarting Postgres or cutting its connections disturbs no other test file.
 */
describe.skipIf(inject("postgresKind") !== "system")("faults: Postgres restarted and its connections cut mid-sync", () => {
  let dir: string;
  let pgPort: number;
  let pg: RunningPostgres;
  let proxy: FaultProxy;
  let stack: Stack;
  const pgDir = () => join(dir, "pg");

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "b2x-pg-faults-"));
    pgPort = await freePort();
    pg = await startSystemPostgres({ dataDir: pgDir(), port: pgPort });
    proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: pgPort }, seed: 31 });
    stack = await startStack({ root: process.cwd(), dataDir: join(dir, "stack"), varsFile: join(dir, "worker.vars"), databaseUrl: `postgres://postgres:postgres@127.0.0.1:${proxy.port}/postgres`,
      ...(process.env.B2X_TEST_VERBOSE && { workerOutput: (l: string) => console.log(`[worker] ${l}`) }),
    });
    useStack({ baseUrl: stack.baseUrl, adminToken: stack.adminToken });
  }, 180_000);

  afterAll(async () => {
    await cleanupFixtures();
    useStack(undefined);
    await stack?.stop();
    await proxy?.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the run resumes to equality after a Postgres restart and after all its connections are reset; requests meanwhile get an answer", { timeout: 300_000 }, async () => {
    const articles = scaled(6_000, 20_000);
    const rounds = scaled(1, 4);
    const t = await liveTenant({ erpProvider: { syncBatchSize: 500 } }, { articles });
    await t.startConnector();
    t.erp.setFaults({ perCallMs: 5 });
    const start = await adminHttp(`/tenants/${t.tenantId}/sync`, { method: "POST", json: { mode: "full" } });
    expect(start.status).toBe(202);
    const runId: string = start.body.runId;
    // While Postgres is away the admin API itself may fail: that reads as "no progress yet".
    const run = async () => (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs?.find((r: { runId: string }) => r.runId === runId);
    const progressBeyond = async (rows: number) =>
      waitUntil(async () => {
        const r = await run();
        return (r?.rowsDone ?? 0) > rows || (r !== undefined && r.status !== "running");
      }, 120_000, `progress beyond ${rows} rows`);
    const during: Bounded[] = [];
    const probe = async () => {
      during.push(await bounded("/v1/ready", {}, 15_000));
      during.push(await bounded("/v1/catalog/search?q=schraube", { token: t.apiKey }, 15_000));
    };
    const faults: string[] = [];
    let done = 0;
    for (let round = 0; round < rounds; round++) {
      await progressBeyond(done + 1_000);
      // 1. Postgres restarts (fast shutdown: sessions are terminated) and is away for a moment.
      await pg.stop();
      faults.push("postgres restart");
      await probe();
      await sleep(1_000);
      pg = await startSystemPostgres({ dataDir: pgDir(), port: pgPort });
      done = (await run())?.rowsDone ?? done;
      await progressBeyond(done + 1_000);
      // 2. Every connection to Postgres is reset and new ones are refused for 1.5 s.
      proxy.refuse();
      faults.push(`${proxy.resetAll()} Postgres connections reset, new ones refused 1.5 s`);
      await probe();
      await sleep(1_500);
      proxy.refuse(false);
      done = (await run())?.rowsDone ?? done;
    }
    t.erp.setFaults({ perCallMs: 0 });
    await runSucceeded(run);
    const gaps = syncGaps(await pgDigest(pg.url, t.tenantId), erpDigest(t.erp));
    const counts = await pgCounts(pg.url, t.tenantId);
    const hung = during.filter((d) => d.hung).length;
    const unclear = during.filter((d) => !d.hung && d.status !== 200 && !(d.status === 503 && d.body?.error?.code && d.headers.get("retry-after"))).map((d) => (d.hung ? "hung" : `${d.status} ${JSON.stringify(d.body).slice(0, 160)}`));
    const final = await run();
    recordScenario({
      suite: "faults", name: "Postgres restarted / connections reset mid-sync", passed: gaps === 0 && counts.articles === articles && hung === 0 && unclear.length === 0,
      faults, syncGaps: gaps, hungRequests: hung,
      figures: { articles, runAttempts: final.attempts, rowsDone: final.rowsDone, requestsDuringOutage: during.length, pgConnectionsReset: proxy.stats.reset, refused: proxy.stats.refused },
    });
    expect(hung).toBe(0);
    expect(unclear).toEqual([]);
    expect(gaps).toBe(0);
    expect(counts.articles).toBe(articles);
    expect(proxy.stats.reset + proxy.stats.refused).toBeGreaterThan(0);
  });
});
