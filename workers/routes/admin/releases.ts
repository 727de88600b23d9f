import { desc } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import {
  ARTIFACT_FILE, MANIFEST_FILE, MAX_ARTIFACT_BYTES, ReleaseError, SIGNATURE_FILE, fromBase64, parsePublicKeys, semverSchema, verifyArtifact, verifyManifest,
} from "../../../schema/connector-release.ts";
import { ROLLOUT_RINGS, connectorReleases } from "../../../schema/index.ts";
import { AppError, conflict } from "../../errors.ts";
import { assertKnownRelease, assertRingOrder, releaseRow, ringVersions, setRingVersion, tenantsOfRing } from "../../lib/releases/rollout.ts";
import { releaseObjectKey } from "../../lib/releases/store.ts";
import { jsonBody, pathParams } from "../../lib/validate.ts";
import { auditEvent } from "../../middleware/admin-audit.ts";
import type { AppEnv } from "../../types.ts";

/** Header names of the upload (the body is the artifact itself). */
export const RELEASE_UPLOAD_HEADERS = { manifest: "x-b2x-release-manifest", signature: "x-b2x-release-signature" } as const;

const ringParams = z.object({ ring: z.enum(ROLLOUT_RINGS) });
const ringBody = z.object({ version: semverSchema }).strict();

const refused = (err: ReleaseError) => new AppError(422, "release_rejected", `Release refused (${err.code}): ${err.message}`, undefined, undefined, { reason: err.code });

/** Reads the body up to `limit` bytes; more is refused as soon as it is seen. */
async function readBody(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const part of body) {
    total += part.byteLength;
    if (total > limit) throw new AppError(413, "payload_too_large", `Artifact exceeds the ${limit} bytes its manifest declares`);
    parts.push(part);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Connector releases (ADR-034), admin only:
 * - `POST /` uploads one signed release (body = artifact, headers = manifest and signature);
 *   the edge verifies the signature against RELEASE_PUBLIC_KEYS and the artifact against the
 *   manifest, and refuses unsigned, tampered and duplicate versions.
 * - `GET /` lists releases and the version of each ring.
 * - `PUT /rings/:ring` `{ version }` rolls a version out to a ring, in ring order.
 */
export const releaseAdminRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    let manifestBytes: Uint8Array<ArrayBuffer>;
    try {
      manifestBytes = fromBase64(c.req.header(RELEASE_UPLOAD_HEADERS.manifest) ?? "");
    } catch {
      throw new AppError(400, "bad_request", `${RELEASE_UPLOAD_HEADERS.manifest} must be the manifest's bytes in base64`);
    }
    let keys;
    try {
      keys = parsePublicKeys(c.env.RELEASE_PUBLIC_KEYS);
    } catch (err) {
      throw new Error(`RELEASE_PUBLIC_KEYS is misconfigured: ${(err as Error).message}`);
    }
    const log = c.var.log;
    try {
      const manifest = await verifyManifest(manifestBytes, c.req.header(RELEASE_UPLOAD_HEADERS.signature), keys);
      const db = c.var.db();
      if (await releaseRow(db, manifest.version)) throw conflict(`Connector release ${manifest.version} already exists; versions are immutable`);
      const declared = Number(c.req.header("content-length") ?? Number.NaN);
      if (Number.isFinite(declared) && declared > manifest.size) throw new AppError(413, "payload_too_large", `Artifact is ${declared} bytes, its manifest says ${manifest.size}`);
      const artifact = await readBody(c.req.raw.body, Math.min(manifest.size, MAX_ARTIFACT_BYTES));
      await verifyArtifact(manifest, artifact);
      const bucket = c.env.CONNECTOR_RELEASES;
      const key = (file: Parameters<typeof releaseObjectKey>[2]) => releaseObjectKey(manifest.version, manifest.sha256, file);
      await bucket.put(key(ARTIFACT_FILE), artifact, { sha256: manifest.sha256, httpMetadata: { contentType: "text/javascript" } });
      await bucket.put(key(MANIFEST_FILE), manifestBytes, { httpMetadata: { contentType: "application/json" } });
      await bucket.put(key(SIGNATURE_FILE), c.req.header(RELEASE_UPLOAD_HEADERS.signature)!.trim());
      auditEvent(c, { action: "connector.release.upload", target: manifest.version, details: { sha256: manifest.sha256, size: manifest.size, keyId: manifest.keyId } });
      const [inserted] = await db
        .insert(connectorReleases)
        .values({ version: manifest.version, sha256: manifest.sha256, size: manifest.size, keyId: manifest.keyId, manifest })
        .onConflictDoNothing()
        .returning();
      if (!inserted) throw conflict(`Connector release ${manifest.version} already exists; versions are immutable`);
      log("info", "connector release uploaded", { version: manifest.version, sha256: manifest.sha256, size: manifest.size });
      return c.json({ version: inserted.version, sha256: inserted.sha256, size: inserted.size, keyId: inserted.keyId, uploadedAt: inserted.uploadedAt.toISOString() }, 201);
    } catch (err) {
      if (!(err instanceof ReleaseError)) throw err;
      // A refused release may be an attack (tampering, a foreign key): kept in the audit trail.
      log("warn", "connector release refused", { reason: err.code, error: err.message });
      auditEvent(c, { action: "connector.release.refused", details: { reason: err.code, message: err.message.slice(0, 300) } });
      throw refused(err);
    }
  })
  .get("/", async (c) => {
    const db = c.var.db();
    const rows = await db.select().from(connectorReleases).orderBy(desc(connectorReleases.uploadedAt)).limit(200);
    return c.json({
      releases: rows.map((r) => ({ version: r.version, sha256: r.sha256, size: r.size, keyId: r.keyId, createdAt: r.manifest.createdAt, uploadedAt: r.uploadedAt.toISOString() })),
      rings: await ringVersions(db),
    });
  })
  .put("/rings/:ring", async (c) => {
    const { ring } = pathParams(c, ringParams);
    const { version } = await jsonBody(c, ringBody);
    const db = c.var.db();
    await assertKnownRelease(db, version);
    await assertRingOrder(db, ring, version);
    const previous = (await ringVersions(db))[ring]?.version ?? null;
    auditEvent(c, { action: "connector.ring.set", target: ring, details: { version, previous } });
    await db.transaction((tx) => setRingVersion(tx, ring, version));
    // Tell the ring's TenantSessions now; a connector that connects later learns it on connect.
    const tenantIds = await tenantsOfRing(db, ring);
    const push = Promise.allSettled(tenantIds.map((tenantId) => c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId)).setRingConnectorVersion(tenantId, version)));
    await push;
    c.var.log("info", "connector ring version set", { ring, version, previous, tenants: tenantIds.length });
    return c.json({ ring, version, previous, tenantsNotified: tenantIds.length });
  });
