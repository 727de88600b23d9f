import { generateKeyPairSync } from "node:crypto";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ARTIFACT_FILE, MANIFEST_SCHEMA, sha256Hex } from "../../schema/connector-release.ts";
import { encodeManifest, signManifest } from "../../scripts/release/create.ts";
import { signingKeyFromPem, trustedKeysOf } from "../../scripts/release/keys.ts";
import type { Logger } from "../runtime/log.ts";
import { ReleaseStore } from "./release-store.ts";
import { Supervisor } from "./supervisor.ts";

/**
 * The supervisor's switch and rollback logic with real child processes that speak its IPC
 * protocol but stand in for the connector (no edge needed): each reads the version the "edge"
 * wants from a file in its working directory and writes the reports it is asked to send.
 */
const key = signingKeyFromPem(generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString());

/** A child: `ready` after `readyAfterMs` (never if null), then heartbeats until `heartbeats` were sent. */
const childScript = (version: string, behaviour: { exitAtStart?: boolean; readyAfterMs?: number | null; heartbeats?: number } = {}) => `
import { appendFileSync, readFileSync } from "node:fs";
${behaviour.exitAtStart ? "process.exit(3);" : ""}
const desired = () => { try { return readFileSync("desired.txt", "utf8").trim(); } catch { return ""; } };
process.on("message", (m) => { appendFileSync("events.log", JSON.stringify(m) + "\\n"); process.send({ type: "event-sent", id: m.id, ok: true }); });
process.on("SIGTERM", () => process.exit(0));
process.once("disconnect", () => process.exit(0));
let beats = 0;
const readyAfter = ${behaviour.readyAfterMs === null ? "null" : (behaviour.readyAfterMs ?? 50)};
setInterval(() => {}, 1000);
if (readyAfter !== null) setTimeout(() => {
  process.send({ type: "ready", version: ${JSON.stringify(version)}, desiredVersion: desired() });
  const t = setInterval(() => { if (++beats > ${behaviour.heartbeats ?? 1e9}) return clearInterval(t); process.send({ type: "heartbeat", desiredVersion: desired() }); }, 50);
}, readyAfter);
`;

const dirs: string[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function setup() {
  const work = mkdtempSync(join(tmpdir(), "b2x-supervisor-"));
  dirs.push(work);
  const store = new ReleaseStore(join(work, "releases"));
  writeFileSync(join(work, "source.mjs"), childScript("1.0.0"));
  const logs: { msg: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = (_level, msg, fields) => logs.push({ msg, ...(fields && { fields }) });
  const install = async (version: string, script: string) => {
    const artifact = new TextEncoder().encode(script);
    const manifestBytes = encodeManifest({ schema: MANIFEST_SCHEMA, version, sha256: await sha256Hex(artifact), size: artifact.byteLength, createdAt: new Date().toISOString(), keyId: key.keyId, entry: ARTIFACT_FILE });
    store.install(version, { manifestBytes, signature: signManifest(manifestBytes, key), artifact });
  };
  const supervisor = new Supervisor({
    store, keys: trustedKeysOf(key), source: { baseUrl: "http://127.0.0.1:9", token: "unused" },
    sourceBuild: { version: "1.0.0", spec: { entry: join(work, "source.mjs"), execArgv: [], cwd: work } },
    // Children beat every 50 ms: 1.5 s of silence is a stall even on a loaded machine.
    childArgs: [], childEnv: {}, cwd: work, graceMs: 5_000, probationMs: 2_000, heartbeatStallMs: 1_500, stopGraceMs: 2_000, log,
  });
  stops.push(() => supervisor.stop());
  const events = () => (existsSync(join(work, "events.log")) ? readFileSync(join(work, "events.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { kind: string; payload: Record<string, unknown> }) : []);
  const desire = (v: string) => writeFileSync(join(work, "desired.txt"), v);
  await supervisor.start();
  return { supervisor, store, install, events, desire, logs, work };
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("connector supervisor", () => {
  it("switches to a wanted version, reports it, and goes back by flag to the kept build", async () => {
    const s = await setup();
    await s.install("1.1.0", childScript("1.1.0"));
    s.desire("1.1.0");
    await until(() => s.events().some((e) => e.kind === "connector.update_installed"), "installed report");
    expect(s.supervisor.running).toEqual({ version: "1.1.0", kind: "installed" });
    expect(s.events().find((e) => e.kind === "connector.update_installed")?.payload).toMatchObject({ version: "1.1.0", from: "1.0.0" });
    expect(s.store.current).toBe("1.1.0");
    s.desire("1.0.0");
    await until(() => s.supervisor.running?.version === "1.0.0" && s.events().filter((e) => e.kind === "connector.update_installed").length === 2, "back on 1.0.0");
    expect(s.store.current).toBeNull();
  }, 30_000);

  for (const [what, script, reason] of [
    ["dies at start", childScript("2.0.0", { exitAtStart: true }), /exited .* before it was ready/],
    ["never gets ready", childScript("2.0.0", { readyAfterMs: null }), /^not_ready$/],
    ["stops heartbeating during probation", childScript("2.0.0", { heartbeats: 2 }), /^no_heartbeat$/],
    ["says it is another version", childScript("9.9.9"), /^version_mismatch: runs as 9\.9\.9/],
  ] as const) {
    it(`rolls back a version that ${what}, marks it bad and does not try it again`, async () => {
      const s = await setup();
      await s.install("2.0.0", script);
      s.desire("2.0.0");
      await until(() => s.events().some((e) => e.kind === "connector.update_rolled_back"), "rolled-back report");
      const report = s.events().find((e) => e.kind === "connector.update_rolled_back")!.payload;
      expect(report).toMatchObject({ version: "2.0.0", from: "1.0.0", running: "1.0.0" });
      expect(String(report.reason)).toMatch(reason);
      expect(s.supervisor.running).toEqual({ version: "1.0.0", kind: "source" });
      expect(s.store.badReason("2.0.0")).toBeDefined();
      await new Promise((r) => setTimeout(r, 500)); // heartbeats keep naming 2.0.0
      expect(s.events().filter((e) => e.kind.startsWith("connector.update_"))).toHaveLength(1);
    }, 30_000);
  }

  it("refuses a kept version whose files changed on disk and keeps running", async () => {
    const s = await setup();
    await s.install("1.2.0", childScript("1.2.0"));
    appendFileSync(s.store.entry("1.2.0"), "// patched\n");
    s.desire("1.2.0");
    await until(() => s.events().some((e) => e.kind === "connector.update_failed"), "refused report");
    expect(s.events().find((e) => e.kind === "connector.update_failed")?.payload).toMatchObject({ version: "1.2.0", reason: "size_mismatch", running: "1.0.0" });
    expect(s.supervisor.running?.version).toBe("1.0.0");
  }, 30_000);
});
