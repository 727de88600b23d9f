// `npm run bench -- rollout [--iterations 300] [--tenants 30] [--metrics-iterations 60] [--releases 8] [--uploads 20] [--downloads 40]`
// In one run (system Postgres; the router and the three ring bundles of `wrangler deploy --dry-run`
// in one workerd via Miniflare, each Worker on its own loopback socket):
// 1. the router's cost: the same requests sent to the tenant's ring directly vs through the
//    router (service binding), interleaved round by round; floor GET /v1/health direct;
// 2. /metrics through the router (fan-out to three rings + merge) vs one ring directly;
// 3. the connector release pipeline: bundle + sign, upload, download + the supervisor's
//    verification, against the floor of reading and hashing the artifact alone.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { downloadArtifact, downloadManifest, type ReleaseSource } from "../connector-host/supervisor/download.ts";
import { checkArtifact, checkManifest } from "../connector-host/supervisor/verify.ts";
import { ErpDatabase } from "../connector-host/simulator/store.ts";
import { ARTIFACT_FILE, type ReleaseManifest } from "../schema/connector-release.ts";
import { newCustomerSigningKey, signCustomerToken } from "../scripts/local/customer-keys.ts";
import { freePort } from "../scripts/local/ports.ts";
import type { Stack } from "../scripts/local/stack.ts";
import { startWsProxy } from "../scripts/local/ws-proxy.ts";
import { migrateDatabase } from "../scripts/migrate-db.ts";
import { bundleConnector } from "../scripts/release/build.ts";
import { createRelease, encodeManifest, signManifest } from "../scripts/release/create.ts";
import { loadSigningKey, trustedKeysOf } from "../scripts/release/keys.ts";
import { uploadRelease } from "../scripts/release/upload.ts";
import { ROLLOUT_RINGS as RINGS } from "../schema/tenants.ts";
import { measureInterleaved, pairedDifferences } from "./lib/interleave.ts";
import { startBenchConnector } from "./lib/live-stack.ts";
import { buildBundles, startRingWorkers } from "./lib/ring-workers.ts";
import { measure, printTable, type Summary, summarize } from "./lib/stats.ts";
import { freshBenchDir, startBenchPostgres } from "./lib/bench-postgres.ts";

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "300" }, tenants: { type: "string", default: "30" }, "metrics-iterations": { type: "string", default: "60" },
    releases: { type: "string", default: "8" }, uploads: { type: "string", default: "20" }, downloads: { type: "string", default: "40" },
  },
});
const ITER = Number(values.iterations);
const TENANTS = Number(values.tenants);
const METRICS_ITER = Number(values["metrics-iterations"]);
const RELEASES = Number(values.releases);
const UPLOADS = Number(values.uploads);
const DOWNLOADS = Number(values.downloads);
const ARTICLES = 5000;
const ADMIN_TOKEN = "bench-rollout-admin-token-0123456789abcdef";
const BENCH_RING = "canary";

const root = resolve(import.meta.dirname, "..");
const dir = freshBenchDir("rollout");
const stops: (() => Promise<void>)[] = [];

try {
  const pgServer = await startBenchPostgres(join(dir, "pg"));
  stops.push(() => pgServer.stop());
  await migrateDatabase(pgServer.url);
  const proxy = await startWsProxy({ port: await freePort(), target: { host: pgServer.host, port: pgServer.port } });
  stops.push(() => proxy.stop());
  const key = loadSigningKey(join(dir, "release-keys"));
  const buildStarted = performance.now();
  await buildBundles(root, join(dir, "bundles"));
  const buildSeconds = (performance.now() - buildStarted) / 1000;
  const workers = await startRingWorkers({ root, bundleDir: join(dir, "bundles"), databaseUrl: pgServer.url, wsProxy: proxy.address, adminToken: ADMIN_TOKEN, releasePublicKeys: JSON.stringify(trustedKeysOf(key)) });
  stops.push(() => workers.stop());
  const direct = workers.ringUrl[BENCH_RING];
  const router = workers.routerUrl;
  // What the bench helpers need of a stack: the router is the edge every client sees.
  const stack: Stack = { baseUrl: router, adminToken: ADMIN_TOKEN, databaseUrl: pgServer.url, wsProxy: proxy.address, stop: async () => {} };

  const expectOk = async (res: Response, what: string, status = 200) => {
    if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    return res;
  };
  const admin = async (path: string, body: unknown, status = 201) =>
    (await (await expectOk(await fetch(`${router}/v1/admin${path}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) }), `POST ${path}`, status)).json()) as Record<string, unknown>;
  const tenant = (tenantId: string, ring: string, config: Record<string, unknown> = {}) => admin("/tenants", { tenantId, name: tenantId, rolloutRing: ring, config });

  // The bench tenant (canary): storefront key, customer tokens, 5,000 synced articles, a connector over the router.
  const tenantId = "bench-rollout";
  const { privateJwk, publicJwk } = await newCustomerSigningKey("bench");
  await tenant(tenantId, BENCH_RING, { customerTokens: { issuer: tenantId, keys: [publicJwk] }, rateLimit: { requestsPerMinute: 10_000_000 } });
  const apiKey = (await admin(`/tenants/${tenantId}/api-keys`, { name: "bench" })).key as string;
  const erpPath = join(dir, `${tenantId}-erp.db`);
  ErpDatabase.create(erpPath, { articles: ARTICLES, customers: 100, loginMs: 100 }).close();
  const connector = await startBenchConnector(stack, tenantId, erpPath);
  stops.push(() => connector.stop());
  const customerToken = await signCustomerToken(privateJwk, tenantId, "K10001", { expiresIn: "2h" });
  const db = new pg.Client({ connectionString: pgServer.url });
  await db.connect();
  await db.query(
    `INSERT INTO articles (tenant_id, article_id, rowversion, article_number, name, attributes)
     SELECT $1, (1000000 + i)::text, i, 'SW-' || i, 'Sechskantschraube M' || (4 + i % 9) || ' Edelstahl ' || i, '{"Material":"A2"}'::jsonb FROM generate_series(1, $2::int) i`,
    [tenantId, ARTICLES],
  );
  await db.end();
  // TENANTS more tenants spread over the rings, for /metrics.
  const perRing: Record<string, number> = Object.fromEntries(RINGS.map((ring) => [ring, 0]));
  perRing[BENCH_RING]! += 1;
  for (let i = 0; i < TENANTS; i++) {
    const ring = RINGS[i % RINGS.length]!;
    await tenant(`bench-m-${String(i).padStart(3, "0")}`, ring);
    perRing[ring]! += 1;
  }

  // 1. Router overhead: each round sends the request to the ring and through the router.
  const get = (base: string, path: string, headers: Record<string, string> = {}) => async () => {
    const res = await expectOk(await fetch(`${base}${path}`, { headers }), `GET ${base}${path}`);
    await res.arrayBuffer();
  };
  const storefront = { authorization: `Bearer ${apiKey}` };
  // Every sample reads Postgres: `no-cache` bypasses the Cache API for search.
  const search = "/v1/catalog/search?q=Sechskantschraube%20Edelstahl&limit=20";
  const searchHeaders = { ...storefront, "cache-control": "no-cache" };
  let item = 0;
  const price = (base: string) => async () => {
    item++;
    const body = { items: [{ articleId: String(1_000_001 + (item % ARTICLES)), quantity: 1 + Math.floor(item / ARTICLES) }] };
    const res = await expectOk(await fetch(`${base}/v1/prices`, { method: "POST", headers: { ...storefront, "x-customer-token": customerToken, "content-type": "application/json" }, body: JSON.stringify(body) }), "POST /v1/prices");
    const json = (await res.json()) as { items: { status: string }[] };
    if (json.items[0]?.status !== "ok") throw new Error(`price not ok: ${JSON.stringify(json)}`);
  };
  const health = await measureInterleaved(ITER, 30, { direct: get(direct, "/v1/health"), router: get(router, "/v1/health") });
  const session = await measureInterleaved(ITER, 30, { direct: get(direct, "/v1/session", storefront), router: get(router, "/v1/session", storefront), routerKv: get(workers.routerNoCacheUrl, "/v1/session", storefront) });
  const searched = await measureInterleaved(Math.max(50, Math.round(ITER / 3)), 10, { direct: get(direct, search, searchHeaders), router: get(router, search, searchHeaders) });
  const priced = await measureInterleaved(ITER, 30, { direct: price(direct), router: price(router) });

  // 2. /metrics: one ring directly vs the router's fan-out + merge (and the three rings in parallel from here).
  const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const tenantInfoLines = async (base: string) => (await (await expectOk(await fetch(`${base}/metrics`, { headers: adminHeaders }), "GET /metrics")).text()).split("\n").filter((l) => l.startsWith("b2x_tenant_info{")).length;
  const metricsSeen = { oneRing: await tenantInfoLines(direct), router: await tenantInfoLines(router) };
  if (metricsSeen.router !== TENANTS + 1) throw new Error(`router /metrics shows ${metricsSeen.router} tenants, expected ${TENANTS + 1}`);
  const metrics = await measureInterleaved(METRICS_ITER, 5, {
    oneRing: get(direct, "/metrics", adminHeaders),
    threeRings: async () => void (await Promise.all(RINGS.map((ring) => get(workers.ringUrl[ring], "/metrics", adminHeaders)()))),
    router: get(router, "/metrics", adminHeaders),
  });

  // 3. Release pipeline.
  const releasesDir = join(dir, "releases");
  const entry = join(root, "connector-host/main.ts");
  let n = 0;
  let created: Awaited<ReturnType<typeof createRelease>> | undefined;
  // Interleaved: esbuild gets faster over its first builds in a process, which must not favour either.
  const built = await measureInterleaved(RELEASES, 1, {
    bundle: async () => void (await bundleConnector({ entry, outfile: join(dir, "bundle-only", `${n++}.mjs`), version: "1.0.0" })),
    createRelease: async () => void (created = await createRelease({ version: `1.0.0-bench.${n++}`, entry, outDir: releasesDir, key, force: true })),
  });
  const [bundled, createdS] = [summarize(built.bundle), summarize(built.createRelease)];
  const artifactPath = join(created!.dir, ARTIFACT_FILE);
  const artifact = new Uint8Array(readFileSync(artifactPath));
  const manifestFor = (version: string): ReleaseManifest => ({ ...created!.manifest, version, createdAt: new Date().toISOString() });
  const signed = await measure(ITER, 10, async () => void signManifest(encodeManifest(manifestFor("1.0.0")), key));
  // Uploads: the same artifact under new versions (versions are immutable), through the router and to the ring directly.
  let patch = 0;
  const upload = (base: string) => async () => {
    const manifestBytes = encodeManifest(manifestFor(`9.0.${patch++}`));
    const res = await uploadRelease(base, ADMIN_TOKEN, { manifestBytes, signature: signManifest(manifestBytes, key), artifact });
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  };
  const uploads = await measureInterleaved(UPLOADS, 1, { direct: upload(workers.ringUrl.stable), router: upload(router) });
  // A tenant (stable) whose connector downloads release 9.0.0 (the first uploaded), its own override.
  const releaseTenant = "bench-release";
  await tenant(releaseTenant, "stable", { connectorRegistration: { desiredConnectorVersion: "9.0.0", downloadsPerMinute: 10_000 } });
  const connectorToken = (await admin(`/tenants/${releaseTenant}/connector-tokens`, { connectorId: "bench-dl" })).token as string;
  const keys = trustedKeysOf(key);
  const fetched = async (src: ReleaseSource) => {
    const m = await downloadManifest(src, "9.0.0");
    const manifest = await checkManifest({ asked: "9.0.0", running: "0.1.0", keys, manifestBytes: m.manifestBytes, signature: m.signature });
    await checkArtifact(manifest, await downloadArtifact(src, "9.0.0", manifest.size));
    return { manifestBytes: m.manifestBytes, signature: m.signature };
  };
  const viaRouter: ReleaseSource = { baseUrl: router, token: connectorToken };
  const downloaded = await fetched(viaRouter);
  const downloads = await measureInterleaved(DOWNLOADS, 3, { direct: async () => void (await fetched({ baseUrl: workers.ringUrl.stable, token: connectorToken })), router: async () => void (await fetched(viaRouter)) });
  const [manifestOnly, artifactOnly] = [
    await measure(DOWNLOADS, 3, async () => void (await downloadManifest(viaRouter, "9.0.0"))),
    await measure(DOWNLOADS, 3, async () => void (await downloadArtifact(viaRouter, "9.0.0", artifact.byteLength))),
  ];
  const verified = await measure(ITER, 10, async () => {
    const manifest = await checkManifest({ asked: "9.0.0", running: "0.1.0", keys, ...downloaded });
    await checkArtifact(manifest, artifact);
  });
  // The floor: hashing the same bytes, in memory as the supervisor holds them; and with the read from disk.
  const hashFloor = await measure(ITER, 10, async () => void createHash("sha256").update(artifact).digest("hex"));
  const readHash = await measure(ITER, 10, async () => void createHash("sha256").update(readFileSync(artifactPath)).digest("hex"));

  // Report.
  const s = <K extends string>(r: Record<K, number[]>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, summarize(v as number[])])) as Record<K, Summary>;
  const [H, S, Q, P, M, U, D] = [s(health), s(session), s(searched), s(priced), s(metrics), s(uploads), s(downloads)];
  const floor = H.direct;
  printTable(`rollout: router overhead, tenant in '${BENCH_RING}', direct to the ring vs through the router (interleaved; workerd via Miniflare, system Postgres)`, [
    { name: "GET /v1/health direct to the ring (floor)", s: floor },
    { name: "GET /v1/health through the router", s: H.router, floor },
    { name: "GET /v1/session direct", s: S.direct, floor },
    { name: "GET /v1/session through the router", s: S.router, floor },
    { name: "GET /v1/session through the router, KV read per request", s: S.routerKv, floor },
    { name: "catalog search (Postgres, Cache API bypassed) direct", s: Q.direct, floor },
    { name: "catalog search through the router", s: Q.router, floor },
    { name: "live price (DO -> tunnel -> connector) direct", s: P.direct, floor },
    { name: "live price through the router", s: P.router, floor },
  ]);
  const added = (name: string, d: Summary, r: Summary, raw: Record<"direct" | "router", number[]>) => {
    const paired = summarize(pairedDifferences(raw.direct, raw.router));
    console.log(`  ${name.padEnd(14)} router adds p50 ${(r.p50 - d.p50).toFixed(2)} ms (${(r.p50 / d.p50).toFixed(2)}x), p95 ${(r.p95 - d.p95).toFixed(2)} ms, p99 ${(r.p99 - d.p99).toFixed(2)} ms; paired per-round difference p50 ${paired.p50.toFixed(2)} ms`);
    return { p50Ms: r.p50 - d.p50, p95Ms: r.p95 - d.p95, p99Ms: r.p99 - d.p99, ratioP50: r.p50 / d.p50, pairedP50Ms: paired.p50, pairedP95Ms: paired.p95 };
  };
  console.log("\nthe router's added cost (through the router minus direct):");
  const overhead = { health: added("health", H.direct, H.router, health), session: added("session", S.direct, S.router, session), search: added("search", Q.direct, Q.router, searched), price: added("live price", P.direct, P.router, priced) };
  const kvRead = summarize(pairedDifferences(session.router, session.routerKv));
  console.log(`  a KV read per request (RING_CACHE_MS=0) adds p50 ${kvRead.p50.toFixed(2)} ms over the cached ring (paired)`);

  printTable(`rollout: GET /metrics, ${TENANTS + 1} tenants (${RINGS.map((r) => `${r} ${perRing[r]}`).join(", ")})`, [
    { name: `one ring directly (${BENCH_RING}, ${metricsSeen.oneRing} tenants) (floor)`, s: M.oneRing },
    { name: "three rings directly, in parallel from the client", s: M.threeRings, floor: M.oneRing },
    { name: `through the router: fan-out + merge (${metricsSeen.router} tenants)`, s: M.router, floor: M.oneRing },
  ]);

  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  printTable(`rollout: connector release pipeline (artifact ${kib(artifact.byteLength)}, manifest ${created!.manifestBytes.byteLength} B)`, [
    { name: "floor: sha256 of the artifact in memory (node:crypto)", s: hashFloor },
    { name: "read the artifact from disk + sha256", s: readHash, floor: hashFloor },
    { name: "supervisor verify: manifest signature + artifact size/sha256", s: verified, floor: hashFloor },
    { name: "download manifest through the router", s: manifestOnly, floor: hashFloor },
    { name: "download artifact through the router", s: artifactOnly, floor: hashFloor },
    { name: "download manifest + artifact + verify, direct to the ring", s: D.direct, floor: hashFloor },
    { name: "download manifest + artifact + verify, through the router", s: D.router, floor: hashFloor },
    { name: "sign a manifest (Ed25519)", s: signed, floor: hashFloor },
    { name: "upload (edge verifies, R2 put, Postgres row), direct", s: U.direct, floor: hashFloor },
    { name: "upload through the router", s: U.router, floor: hashFloor },
    { name: "bundle connector-host (esbuild) only", s: bundled, floor: hashFloor },
    { name: "createRelease: bundle + sha256 + sign + write", s: createdS, floor: hashFloor },
  ]);
  console.log(`\nbuilds: wrangler deploy --dry-run of router + 3 rings in parallel ${buildSeconds.toFixed(1)} s`);
  console.log(
    JSON.stringify({
      bench: "rollout", tenants: TENANTS + 1, perRing, articles: ARTICLES, benchRing: BENCH_RING, buildSeconds,
      routerOverhead: { results: { health: H, session: S, search: Q, price: P }, added: overhead, kvReadPerRequestP50Ms: kvRead.p50 },
      metrics: { results: M, tenantsSeen: metricsSeen, ratioP50: M.router.p50 / M.oneRing.p50 },
      release: {
        artifactBytes: artifact.byteLength, manifestBytes: created!.manifestBytes.byteLength,
        results: { hashFloor, readHash, verify: verified, manifestDownload: manifestOnly, artifactDownload: artifactOnly, downloadVerifyDirect: D.direct, downloadVerifyRouter: D.router, sign: signed, uploadDirect: U.direct, uploadRouter: U.router, bundle: bundled, createRelease: createdS },
      },
    }),
  );
} finally {
  for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error(`cleanup: ${String(err)}`));
}
