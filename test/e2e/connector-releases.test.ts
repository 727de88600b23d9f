import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { CONNECTOR_VERSION } from "../../connector-host/runtime/connector.ts";
import { createRelease } from "../../scripts/release/create.ts";
import { DEV_KEYS_DIR, loadSigningKey, trustedKeysOf } from "../../scripts/release/keys.ts";
import { readReleaseDir, uploadRelease } from "../../scripts/release/upload.ts";
import { adminHttp } from "./client.ts";
import { type LiveTenant, cleanupFixtures, liveTenant, waitUntil } from "./tenant-fixture.ts";

/**
 * ADR-034 end to end over the real stack: releases built and signed by the release script,
 * uploaded to the edge (R2 under wrangler dev), rolled out to the tenant's ring, and applied by
 * a supervised connector (real child processes, real downloads): update, automatic rollback of
 * a broken build, refusal of a tampered download, rollback by flag without a download.
 */
const stamp = Date.now().toString(36);
const next = `0.1.1-e2e.${stamp}`;
const broken = `0.1.2-e2e.${stamp}`;
const tampered = `0.1.3-e2e.${stamp}`;

let tenant: LiveTenant;
let work: string;
let supervisor: ChildProcess;
const output: string[] = [];
let tamperVersion = "";
let mirror: Server;

/** A download mirror in front of the edge (as a CDN would be) that corrupts one version's artifact. */
async function startMirror(): Promise<string> {
  mirror = createServer(async (req, res) => {
    try {
      const upstream = await fetch(`${inject("baseUrl")}${req.url}`, { headers: { authorization: req.headers.authorization ?? "" } });
      const body = new Uint8Array(await upstream.arrayBuffer());
      if (tamperVersion && req.url === `/v1/connector/releases/${tamperVersion}/artifact` && upstream.ok) body[body.length >> 1] = body[body.length >> 1]! ^ 0x20;
      const headers: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (k !== "content-encoding" && k !== "transfer-encoding") headers[k] = v;
      });
      res.writeHead(upstream.status, { ...headers, "content-length": String(body.byteLength) }).end(body);
    } catch (err) {
      res.writeHead(502).end(String(err));
    }
  });
  await new Promise<void>((resolve) => mirror.listen(0, "127.0.0.1", resolve));
  const addr = mirror.address();
  return `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
}

async function release(version: string, entry = "connector-host/main.ts"): Promise<void> {
  const r = await createRelease({ version, entry, outDir: join(work, "dist"), key: loadSigningKey(DEV_KEYS_DIR) });
  const up = await uploadRelease(inject("baseUrl"), inject("adminToken"), readReleaseDir(r.dir));
  expect(up.status, JSON.stringify(up.body)).toBe(201);
}

const setCanary = async (version: string) => expect((await adminHttp("/connector-releases/rings/canary", { method: "PUT", json: { version } })).status).toBe(200);

async function presence(): Promise<{ version: string; connected: boolean } | undefined> {
  const r = await adminHttp(`/tenants/${tenant.tenantId}/connectors`);
  return r.body.connectors?.find((c: { connectorId: string }) => c.connectorId === "werk-1");
}
const runsVersion = (version: string, timeoutMs = 30_000) =>
  waitUntil(async () => {
    const p = await presence();
    return p?.connected === true && p.version === version;
  }, timeoutMs, `connector online with ${version}\n${output.slice(-15).join("\n")}`);

async function metric(name: string, labels: string): Promise<number> {
  const r = await fetch(`${inject("baseUrl")}/metrics`, { headers: { authorization: `Bearer ${inject("adminToken")}` } });
  const line = (await r.text()).split("\n").find((l) => l.startsWith(`${name}{tenant="${tenant.tenantId}"${labels}} `));
  return line ? Number(line.split(" ").pop()) : 0;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "b2x-releases-"));
  tenant = await liveTenant({ connectorRegistration: { downloadsPerMinute: 600 } });
  expect((await adminHttp(`/tenants/${tenant.tenantId}`, { method: "PATCH", json: { rolloutRing: "canary" } })).status).toBe(200);
  const config = {
    tenantId: tenant.tenantId, connectorId: "werk-1", edgeUrl: inject("baseUrl"), businessUnits: ["default"], allowedOperations: ["erp.*", "sys.*"],
    erp: { database: tenant.erpPath, keepAliveMs: 60_000, warmUp: false }, heartbeatMs: 300, reconnect: { minDelayMs: 50, maxDelayMs: 500 },
    healthPort: 0, drainTimeoutMs: 500, eventPollMs: 200,
    releases: { publicKeys: trustedKeysOf(loadSigningKey(DEV_KEYS_DIR)), dir: join(work, "installed"), graceMs: 15_000, probationMs: 1_000, downloadUrl: await startMirror() },
  };
  writeFileSync(join(work, "connector.json"), JSON.stringify(config));
  supervisor = spawn(process.execPath, ["--import", "tsx", "connector-host/supervisor/main.ts", "--config", join(work, "connector.json")], {
    env: { ...process.env, B2X_CONNECTOR_TOKEN: await tenant.connectorToken("werk-1") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [supervisor.stdout!, supervisor.stderr!]) stream.on("data", (d: Buffer) => output.push(...d.toString().trim().split("\n")));
  await runsVersion(CONNECTOR_VERSION);
}, 120_000);

afterAll(async () => {
  if (supervisor && supervisor.exitCode === null) {
    const exited = new Promise((r) => supervisor.once("exit", r));
    supervisor.kill("SIGTERM");
    const t = setTimeout(() => supervisor.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(t);
  }
  await new Promise((r) => mirror?.close(r));
  await cleanupFixtures();
  rmSync(work, { recursive: true, force: true });
}, 30_000);

describe("signed connector releases, end to end", () => {
  it("builds with the release script, uploads, rolls out to the ring, and the supervised connector switches to it", async () => {
    // The CLI itself, as CI would run it: bundle, sign, write dist/<version>/, upload.
    const cli = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/release/connector.ts", "--version", next, "--out", join(work, "dist"), "--upload", inject("baseUrl")], {
      env: { ...process.env, B2X_ADMIN_TOKEN: inject("adminToken") },
    });
    expect(JSON.parse(cli.stdout)).toMatchObject({ manifest: { version: next }, upload: { status: 201 } });
    await setCanary(next);
    await runsVersion(next);
    await waitUntil(async () => (await metric("b2x_connector_update_total", ',result="installed"')) === 1, 10_000, "installed reported");
    expect(await metric("b2x_connector_download_total", ',status="ok"')).toBe(2); // manifest + artifact
    expect(await metric("b2x_connector_version_skew", ',connector="werk-1"')).toBe(0);
  }, 90_000);

  it("rolls a signed but broken release back to the previous version automatically, and reports it", async () => {
    await release(broken, "test/e2e/fixtures/broken-connector.ts");
    await setCanary(broken);
    await waitUntil(async () => (await metric("b2x_connector_update_total", ',result="rolled_back"')) === 1, 45_000, `rolled back\n${output.slice(-15).join("\n")}`);
    await runsVersion(next);
    expect(await metric("b2x_connector_version_skew", ',connector="werk-1"')).toBe(1); // desired: broken, running: next
    expect(output.some((l) => l.includes("new connector version failed; rolling back") && l.includes(broken))).toBe(true);
    // Marked bad: later heartbeats that still name it do not make the supervisor try again.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await metric("b2x_connector_update_total", ',result="rolled_back"')).toBe(1);
  }, 90_000);

  it("refuses a tampered download, keeps running what runs, and reports why", async () => {
    await release(tampered);
    tamperVersion = tampered;
    await setCanary(tampered);
    // A corrupt download may be the network's fault: tried 3 times, then the version is given up.
    await waitUntil(async () => (await metric("b2x_connector_update_total", ',result="refused"')) === 3, 30_000, `refused 3 times\n${output.slice(-15).join("\n")}`);
    expect(await metric("b2x_connector_download_total", ',status="corrupt"')).toBe(3);
    expect(output.some((l) => l.includes("connector update refused") && l.includes("hash_mismatch"))).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await metric("b2x_connector_update_total", ',result="refused"')).toBe(3);
    expect(await presence()).toMatchObject({ connected: true, version: next });
  }, 60_000);

  it("rolls back by flag to a version kept on disk without downloading, and forward again the same way", async () => {
    const downloads = await metric("b2x_connector_download_total", ',status="ok"');
    await release(CONNECTOR_VERSION); // the shipped build, as a release the ring can name
    await setCanary(CONNECTOR_VERSION);
    await runsVersion(CONNECTOR_VERSION);
    await setCanary(next);
    await runsVersion(next);
    expect(await metric("b2x_connector_download_total", ',status="ok"')).toBe(downloads);
    expect(output.some((l) => l.includes("switching to a version kept on disk") && l.includes(next))).toBe(true);
  }, 90_000);
});
