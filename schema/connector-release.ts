import { z } from "zod";

/**
 * A signed connector release (ADR-034): the artifact (a single-file ESM bundle of
 * connector-host), and a manifest naming its version, size and SHA-256, signed with Ed25519 over
 * the manifest's exact bytes. The release script, the edge and the connector's supervisor all
 * verify with this module (WebCrypto, so it runs in Node and in workerd alike).
 */
export const MANIFEST_SCHEMA = "b2x.connector-release/v1";
export const ARTIFACT_FILE = "connector.mjs";
export const MANIFEST_FILE = "manifest.json";
export const SIGNATURE_FILE = "manifest.sig";
/** Manifests are small; anything larger is refused before parsing. */
export const MAX_MANIFEST_BYTES = 4_096;
/** Artifacts above this are refused (the bundle is ~1-2 MB). */
export const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;

const SEMVER = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
export const semverSchema = z.string().max(64).regex(SEMVER, "a semantic version like 1.4.2 or 1.5.0-rc.1");
export const keyIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "letters, digits, '.', '_', '-'");

export const manifestSchema = z
  .object({
    schema: z.literal(MANIFEST_SCHEMA),
    version: semverSchema,
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits"),
    size: z.int().min(1).max(MAX_ARTIFACT_BYTES),
    createdAt: z.iso.datetime({ offset: true }),
    keyId: keyIdSchema,
    entry: z.literal(ARTIFACT_FILE),
    /** Lowest tunnel protocol version of the edge this build speaks. */
    minEdgeProtocol: z.int().min(1).optional(),
    /** Node major version the bundle targets. */
    node: z.string().max(16).optional(),
  })
  .strict();
export type ReleaseManifest = z.output<typeof manifestSchema>;

/** Trusted public keys: keyId → raw 32-byte Ed25519 public key, base64. */
export const publicKeysSchema = z.record(keyIdSchema, z.string().regex(/^[A-Za-z0-9+/]{43}=$/, "base64 of a 32-byte Ed25519 public key"));
export type PublicKeys = z.output<typeof publicKeysSchema>;

export type ReleaseErrorCode =
  | "manifest_invalid"
  | "unsigned"
  | "unknown_key"
  | "bad_signature"
  | "version_mismatch"
  | "size_mismatch"
  | "hash_mismatch"
  | "downgrade";

/** A release that must not be installed or stored, with the reason in a stable code. */
export class ReleaseError extends Error {
  constructor(
    readonly code: ReleaseErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ReleaseError";
  }
}

export function parsePublicKeys(json: string | undefined): PublicKeys {
  let value: unknown;
  try {
    value = JSON.parse(json && json.trim() ? json : "{}");
  } catch {
    throw new Error("release public keys are not valid JSON");
  }
  const r = publicKeysSchema.safeParse(value);
  if (!r.success) throw new Error(`release public keys: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return r.data;
}

export const fromBase64 = (b64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
export const toBase64 = (bytes: Uint8Array): string => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Checks the signature over the manifest's exact bytes with the key its keyId names, then
 * the manifest's shape. Order matters: nothing of an unsigned manifest is believed.
 */
export async function verifyManifest(manifestBytes: Uint8Array<ArrayBuffer>, signatureB64: string | undefined, keys: PublicKeys): Promise<ReleaseManifest> {
  if (manifestBytes.byteLength === 0 || manifestBytes.byteLength > MAX_MANIFEST_BYTES) throw new ReleaseError("manifest_invalid", `manifest must be 1..${MAX_MANIFEST_BYTES} bytes`);
  const sig = (signatureB64 ?? "").trim();
  if (!sig) throw new ReleaseError("unsigned", "the release has no signature");
  let keyId: unknown;
  try {
    keyId = (JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(manifestBytes)) as { keyId?: unknown }).keyId;
  } catch {
    throw new ReleaseError("manifest_invalid", "manifest is not valid UTF-8 JSON");
  }
  if (typeof keyId !== "string" || !Object.hasOwn(keys, keyId)) throw new ReleaseError("unknown_key", `manifest is signed with key '${String(keyId).slice(0, 64)}', which is not trusted`);
  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = fromBase64(sig);
  } catch {
    throw new ReleaseError("bad_signature", "signature is not base64");
  }
  if (signature.byteLength !== 64) throw new ReleaseError("bad_signature", "an Ed25519 signature is 64 bytes");
  const key = await crypto.subtle.importKey("raw", fromBase64(keys[keyId]!), { name: "Ed25519" }, false, ["verify"]);
  if (!(await crypto.subtle.verify({ name: "Ed25519" }, key, signature, manifestBytes))) throw new ReleaseError("bad_signature", "signature does not match the manifest (tampered or signed by another key)");
  const parsed = manifestSchema.safeParse(JSON.parse(new TextDecoder().decode(manifestBytes)));
  if (!parsed.success) throw new ReleaseError("manifest_invalid", `manifest: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/** Size first (a truncated download is named as such), then the SHA-256 the signature covers. */
export async function verifyArtifact(manifest: ReleaseManifest, artifact: Uint8Array<ArrayBuffer>): Promise<void> {
  if (artifact.byteLength !== manifest.size) throw new ReleaseError("size_mismatch", `artifact is ${artifact.byteLength} bytes, the manifest says ${manifest.size} (truncated or padded)`);
  const hash = await sha256Hex(artifact);
  if (hash !== manifest.sha256) throw new ReleaseError("hash_mismatch", `artifact SHA-256 ${hash} differs from the signed ${manifest.sha256}`);
}

function parseSemver(v: string): { core: [number, number, number]; pre: string[] } {
  const m = SEMVER.exec(v);
  if (!m) throw new Error(`not a semantic version: ${v}`);
  return { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split(".") : [] };
}

/** Semantic-version precedence: <0, 0, >0 (build metadata is not supported). */
export function compareVersions(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i]! - y.core[i]!;
  if (x.pre.length === 0 || y.pre.length === 0) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i]!;
    const q = y.pre[i]!;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length - y.pre.length;
}
