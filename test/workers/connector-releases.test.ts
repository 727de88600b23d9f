import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION, decodeFrame, encodeFrame } from "../../proto/tunnel.ts";
import { ARTIFACT_FILE, MANIFEST_SCHEMA, sha256Hex, toBase64 } from "../../schema/connector-release.ts";
import { openDatabase } from "../../workers/db/client.ts";
import { ROGUE_RELEASE_KEY, TEST_ADMIN_TOKEN, TEST_RELEASE_KEY } from "./constants.ts";
import { admin, call, type ErrorEnvelope, uniqueTenantId } from "./helpers.ts";

type Key = typeof TEST_RELEASE_KEY | typeof ROGUE_RELEASE_KEY;
interface Parts {
  manifestBytes: Uint8Array<ArrayBuffer>;
  signature: string;
  artifact: Uint8Array<ArrayBuffer>;
}

let seq = 0;
/** Releases are platform-wide and the database is shared: every test gets its own versions. */
const nextVersion = () => `7.${Date.now() % 1_000_000}.${++seq}`;
const encoder = { encode: (text: string) => new TextEncoder().encode(text) as Uint8Array<ArrayBuffer> };

async function signBytes(bytes: Uint8Array<ArrayBuffer>, key: Key): Promise<string> {
  const k = await crypto.subtle.importKey("jwk", { ...key.jwk }, { name: "Ed25519" }, false, ["sign"]);
  return toBase64(new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, k, bytes)));
}

async function makeRelease(version: string, opts: { key?: Key; keyId?: string } = {}): Promise<Parts> {
  const key = opts.key ?? TEST_RELEASE_KEY;
  const artifact = encoder.encode(`// b2x connector ${version}\nconsole.log(${JSON.stringify(version)});\n`);
  const manifest = { schema: MANIFEST_SCHEMA, version, sha256: await sha256Hex(artifact), size: artifact.byteLength, createdAt: new Date().toISOString(), keyId: opts.keyId ?? key.keyId, entry: ARTIFACT_FILE };
  const manifestBytes = encoder.encode(JSON.stringify(manifest));
  return { manifestBytes, signature: await signBytes(manifestBytes, key), artifact };
}

function upload(p: Parts, headers: Record<string, string> = {}): Promise<Response> {
  return call("/v1/admin/connector-releases", {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/octet-stream", "x-b2x-release-manifest": toBase64(p.manifestBytes), "x-b2x-release-signature": p.signature, ...headers },
    body: p.artifact,
  });
}

async function uploaded(version = nextVersion()): Promise<Parts & { version: string }> {
  const p = await makeRelease(version);
  const res = await upload(p);
  if (res.status !== 201) throw new Error(`upload ${version}: ${res.status} ${await res.text()}`);
  return { ...p, version };
}

const setRing = (ring: string, version: string) => admin(`/connector-releases/rings/${ring}`, "PUT", { version });
const rings = async () => ((await (await admin("/connector-releases")).json()) as { rings: Record<string, { version: string }> }).rings;
const errorOf = async (res: Response) => ((await res.json()) as ErrorEnvelope & { reason?: string });

async function connectorTenant(ring: "canary" | "early" | "stable", config: Record<string, unknown> = {}): Promise<{ tenantId: string; token: string }> {
  const tenantId = uniqueTenantId("rel");
  const created = await admin("/tenants", "POST", { tenantId, name: tenantId, rolloutRing: ring, config });
  if (created.status !== 201) throw new Error(`tenant: ${created.status} ${await created.text()}`);
  const issued = await admin(`/tenants/${tenantId}/connector-tokens`, "POST", { connectorId: "werk-1" });
  return { tenantId, token: ((await issued.json()) as { token: string }).token };
}

const download = (token: string, version: string, file: "manifest" | "artifact") => call(`/v1/connector/releases/${version}/${file}`, { headers: { authorization: `Bearer ${token}` } });

async function auditRows(tenantId: string, action: string): Promise<{ target: string; actor: string; details: { file: string; status: string } }[]> {
  const { db, pool } = openDatabase(env);
  try {
    const r = await db.execute(sql`select target, actor, details from audit_log where tenant_id = ${tenantId} and action = ${action} order by event_id`);
    return r.rows as never;
  } finally {
    await pool.end();
  }
}

describe("connector release upload", () => {
  it("stores a signed release once and lists it; the same version again is 409", async () => {
    const { version, manifestBytes, signature, artifact } = await uploaded();
    const listed = (await (await admin("/connector-releases")).json()) as { releases: { version: string; size: number }[] };
    expect(listed.releases.find((r) => r.version === version)).toMatchObject({ size: artifact.byteLength });
    const again = await upload({ manifestBytes, signature, artifact });
    expect(again.status).toBe(409);
    expect((await errorOf(again)).error.code).toBe("conflict");
  });

  it("refuses unsigned, tampered, wrongly signed, untrusted-key, truncated and wrong-hash uploads, and stores none of them", async () => {
    const cases: [string, () => Promise<Response>, string][] = [];
    const v = () => nextVersion();
    const a = await makeRelease(v());
    cases.push(["unsigned", () => upload({ ...a, signature: "" }), "unsigned"]);
    const b = await makeRelease(v());
    // An attacker swaps in the hash of their own artifact: the signature no longer matches.
    const tampered = encoder.encode(new TextDecoder().decode(b.manifestBytes).replace(/"sha256":"[0-9a-f]{64}"/, `"sha256":"${"0".repeat(64)}"`));
    cases.push(["tampered manifest", () => upload({ ...b, manifestBytes: tampered }), "bad_signature"]);
    const c = await makeRelease(v(), { key: ROGUE_RELEASE_KEY, keyId: TEST_RELEASE_KEY.keyId });
    cases.push(["signed by another key under a trusted key id", () => upload(c), "bad_signature"]);
    const d = await makeRelease(v(), { key: ROGUE_RELEASE_KEY });
    cases.push(["untrusted key id", () => upload(d), "unknown_key"]);
    const e = await makeRelease(v());
    cases.push(["truncated artifact", () => upload({ ...e, artifact: e.artifact.slice(0, -5) }), "size_mismatch"]);
    const f = await makeRelease(v());
    const flipped = f.artifact.slice();
    flipped[3] = flipped[3]! ^ 0xff;
    cases.push(["same size, other bytes", () => upload({ ...f, artifact: flipped }), "hash_mismatch"]);
    for (const [what, send, reason] of cases) {
      const res = await send();
      const body = await errorOf(res);
      expect(res.status, what).toBe(422);
      expect(body.error.code, what).toBe("release_rejected");
      expect(body.reason, what).toBe(reason);
    }
    const refusals = (await auditRows("_system", "connector.release.refused")).map((r) => (r.details as unknown as { reason: string }).reason);
    expect(refusals.slice(-6)).toEqual(cases.map(([, , reason]) => reason));
    const listed = await (await admin("/connector-releases")).text();
    for (const p of [a, b, c, d, e, f]) expect(listed).not.toContain(JSON.parse(new TextDecoder().decode(p.manifestBytes)).version);
  });

  it("needs the admin token; a body longer than the manifest says is 413", async () => {
    const p = await makeRelease(nextVersion());
    const anon = await call("/v1/admin/connector-releases", { method: "POST", headers: { "x-b2x-release-manifest": toBase64(p.manifestBytes), "x-b2x-release-signature": p.signature }, body: p.artifact });
    expect(anon.status).toBe(401);
    const padded = new Uint8Array([...p.artifact, 1, 2, 3]);
    expect((await upload({ ...p, artifact: padded })).status).toBe(413);
    expect((await upload({ ...p, manifestBytes: new Uint8Array() }, { "x-b2x-release-manifest": "%%%" })).status).toBe(400);
  });
});

describe("connector ring rollout", () => {
  it("goes canary → early → stable only in order; a skipped ring, an unknown version or ring change nothing", async () => {
    const { version } = await uploaded();
    const before = await rings();
    const skipped = await setRing("early", version);
    expect(skipped.status).toBe(409);
    expect((await errorOf(skipped)).error.code).toBe("ring_order_violation");
    expect((await setRing("stable", version)).status).toBe(409);
    const unknown = await setRing("canary", "99.99.99");
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).error.message).toContain("99.99.99");
    const badRing = await setRing("everyone", version);
    expect(badRing.status).toBe(400);
    expect((await errorOf(badRing)).error.code).toBe("validation_failed");
    expect((await setRing("canary", "not-a-version")).status).toBe(400);
    expect(await rings()).toEqual(before);

    expect((await setRing("canary", version)).status).toBe(200);
    expect((await setRing("stable", version)).status).toBe(409);
    expect((await setRing("early", version)).status).toBe(200);
    const stable = await setRing("stable", version);
    expect(stable.status).toBe(200);
    expect(await stable.json()).toMatchObject({ ring: "stable", version });
    expect((await rings()).stable?.version).toBe(version);
  });

  it("rolls a ring back to a version it ran, and audits every change", async () => {
    const old = await uploaded();
    const next = await uploaded();
    for (const v of [old.version, next.version]) for (const ring of ["canary", "early"]) expect((await setRing(ring, v)).status).toBe(200);
    const back = await setRing("early", old.version);
    expect(await back.json()).toMatchObject({ ring: "early", version: old.version, previous: next.version });
    const trail = await auditRows("_system", "connector.ring.set");
    expect(trail.filter((r) => r.target === "early").map((r) => (r.details as unknown as { version: string }).version).slice(-3)).toEqual([old.version, next.version, old.version]);
  });

  it("accepts a per-tenant override only for an uploaded release", async () => {
    const { tenantId } = await connectorTenant("stable");
    const unknown = await admin(`/tenants/${tenantId}`, "PATCH", { config: { connectorRegistration: { desiredConnectorVersion: "98.0.0" } } });
    expect(unknown.status).toBe(404);
    const t = (await (await admin(`/tenants/${tenantId}`)).json()) as { configVersion: number };
    expect(t.configVersion).toBe(1);
  });
});

describe("connector release downloads", () => {
  it("serves the exact manifest bytes with the signature, and the artifact, to an entitled connector; audited", async () => {
    const { version, manifestBytes, signature, artifact } = await uploaded();
    const { tenantId, token } = await connectorTenant("canary");
    expect((await download(token, version, "manifest")).status).toBe(404); // not rolled out yet
    expect((await setRing("canary", version)).status).toBe(200);
    const m = await download(token, version, "manifest");
    expect(m.status).toBe(200);
    expect(m.headers.get("x-b2x-release-signature")).toBe(signature);
    expect(new Uint8Array(await m.arrayBuffer())).toEqual(manifestBytes);
    const a = await download(token, version, "artifact");
    expect(a.status).toBe(200);
    expect(a.headers.get("x-b2x-release-sha256")).toBe(await sha256Hex(artifact));
    expect(new Uint8Array(await a.arrayBuffer())).toEqual(artifact);
    const trail = await auditRows(tenantId, "connector.release.download");
    expect(trail.map((r) => [r.actor, r.target, r.details.file, r.details.status])).toEqual([
      ["connector:werk-1", version, "manifest", "not_found"],
      ["connector:werk-1", version, "manifest", "ok"],
      ["connector:werk-1", version, "artifact", "ok"],
    ]);
  });

  it("isolates tenants: a canary-only release is 404 to a stable tenant unless its own override names it", async () => {
    const { version } = await uploaded();
    expect((await setRing("canary", version)).status).toBe(200);
    const stable = await connectorTenant("stable");
    expect((await download(stable.token, version, "artifact")).status).toBe(404);
    expect((await admin(`/tenants/${stable.tenantId}`, "PATCH", { config: { connectorRegistration: { desiredConnectorVersion: version } } })).status).toBe(200);
    expect((await download(stable.token, version, "artifact")).status).toBe(200);
  });

  it("needs a connector token (not an API key or nothing)", async () => {
    const { version } = await uploaded();
    expect((await call(`/v1/connector/releases/${version}/artifact`)).status).toBe(401);
    const { tenantId } = await connectorTenant("canary");
    const key = ((await (await admin(`/tenants/${tenantId}/api-keys`, "POST", { name: "shop" })).json()) as { key: string }).key;
    expect((await download(key, version, "artifact")).status).toBe(401);
  });

  it("rate-limits downloads per tenant (429 with Retry-After) without touching another tenant; counted in /metrics", async () => {
    const { version } = await uploaded();
    expect((await setRing("canary", version)).status).toBe(200);
    const slow = await connectorTenant("canary", { connectorRegistration: { downloadsPerMinute: 1 } }); // burst of 1, refill after 60 s
    const other = await connectorTenant("canary", { connectorRegistration: { downloadsPerMinute: 1 } });
    expect((await download(slow.token, version, "manifest")).status).toBe(200);
    const limited = await download(slow.token, version, "artifact");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await errorOf(limited)).error.code).toBe("rate_limited");
    expect((await download(other.token, version, "artifact")).status).toBe(200);
    let metrics = "";
    for (let i = 0; i < 50 && !metrics.includes(`b2x_connector_download_total{tenant="${slow.tenantId}",status="rate_limited"} 1`); i++) {
      metrics = await (await call("/metrics", { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
    }
    expect(metrics).toContain(`b2x_connector_download_total{tenant="${slow.tenantId}",status="ok"} 1`);
    expect(metrics).toContain(`b2x_connector_download_total{tenant="${slow.tenantId}",status="rate_limited"} 1`);
    expect(metrics).toContain(`b2x_connector_download_failures_total{tenant="${slow.tenantId}"} 1`);
    expect(metrics).toContain(`b2x_connector_download_total{tenant="${other.tenantId}",status="ok"} 1`);
  });
});

describe("desired connector version over the tunnel", () => {
  async function open(token: string): Promise<{ ws: WebSocket; frames: ReturnType<typeof decodeFrame>[] }> {
    const res = await call("/v1/connector/connect", { headers: { upgrade: "websocket", authorization: `Bearer ${token}` } });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const frames: ReturnType<typeof decodeFrame>[] = [];
    ws.accept();
    ws.addEventListener("message", (e) => frames.push(decodeFrame(new Uint8Array(e.data as ArrayBuffer))));
    ws.send(encodeFrame(0n, { case: "hello", value: { connectorId: "werk-1", version: "0.1.0", capabilities: [], businessUnits: ["default"], protocolVersion: PROTOCOL_VERSION, maxInFlightPerBusinessUnit: 1 } }));
    return { ws, frames };
  }
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(cond()).toBe(true);
  };

  it("welcome carries the ring's version; a ring change is pushed in a heartbeat; the tenant override wins; skew is a metric", async () => {
    const first = await uploaded();
    const second = await uploaded();
    expect((await setRing("canary", first.version)).status).toBe(200);
    const { tenantId, token } = await connectorTenant("canary");
    const { ws, frames } = await open(token);
    await until(() => frames.some((f) => f.body.case === "welcome"));
    expect(frames.find((f) => f.body.case === "welcome")?.body.value).toMatchObject({ desiredConnectorVersion: first.version });

    expect((await setRing("canary", second.version)).status).toBe(200);
    await until(() => frames.some((f) => f.body.case === "heartbeat" && f.body.value.desiredConnectorVersion === second.version));
    ws.send(encodeFrame(0n, { case: "heartbeat", value: { sentAtMs: BigInt(Date.now()), metrics: {}, configVersion: 1 } }));
    await until(() => frames.filter((f) => f.body.case === "heartbeat").length >= 2);

    const metrics = await (await call("/metrics", { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
    expect(metrics).toContain(`b2x_connector_version_skew{tenant="${tenantId}",connector="werk-1"} 1`);

    expect((await admin(`/tenants/${tenantId}`, "PATCH", { config: { connectorRegistration: { desiredConnectorVersion: first.version } } })).status).toBe(200);
    await until(() => frames.some((f) => f.body.case === "welcome" && f.body.value.configVersion === 2 && f.body.value.desiredConnectorVersion === first.version));
    ws.close();
    const again = await open(token);
    await until(() => again.frames.some((f) => f.body.case === "welcome"));
    expect(again.frames.find((f) => f.body.case === "welcome")?.body.value).toMatchObject({ desiredConnectorVersion: first.version });
    again.ws.close();
  });
});
