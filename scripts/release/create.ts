import { sign } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROTOCOL_VERSION } from "../../proto/tunnel.ts";
import { ARTIFACT_FILE, MANIFEST_FILE, MANIFEST_SCHEMA, type ReleaseManifest, SIGNATURE_FILE, manifestSchema, sha256Hex, toBase64 } from "../../schema/connector-release.ts";
import { bundleConnector } from "./build.ts";
import type { SigningKey } from "./keys.ts";

export interface CreateReleaseOptions {
  version: string;
  entry: string;
  /** Parent directory; the release goes to `<outDir>/<version>/`. */
  outDir: string;
  key: SigningKey;
  /** Replace an existing directory of the same version (never done by default). */
  force?: boolean;
}

export interface CreatedRelease {
  dir: string;
  manifest: ReleaseManifest;
  manifestBytes: Uint8Array<ArrayBuffer>;
  signature: string;
}

/** Signs the manifest's exact bytes; verifiers check these bytes, never a re-serialization. */
export function signManifest(manifestBytes: Uint8Array, key: SigningKey): string {
  return toBase64(sign(null, manifestBytes, key.privateKey));
}

export function encodeManifest(manifest: ReleaseManifest): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${JSON.stringify(manifestSchema.parse(manifest), null, 2)}\n`);
}

/** Bundle → SHA-256 → signed manifest, written to `<outDir>/<version>/`. */
export async function createRelease(opts: CreateReleaseOptions): Promise<CreatedRelease> {
  const dir = join(opts.outDir, opts.version);
  if (existsSync(dir)) {
    if (!opts.force) throw new Error(`${dir} exists: a released version is immutable (pass --force to rebuild it locally)`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  const artifactPath = join(dir, ARTIFACT_FILE);
  await bundleConnector({ entry: opts.entry, outfile: artifactPath, version: opts.version });
  const artifact = new Uint8Array(readFileSync(artifactPath));
  const manifest: ReleaseManifest = {
    schema: MANIFEST_SCHEMA,
    version: opts.version,
    sha256: await sha256Hex(artifact),
    size: artifact.byteLength,
    createdAt: new Date().toISOString(),
    keyId: opts.key.keyId,
    entry: ARTIFACT_FILE,
    minEdgeProtocol: PROTOCOL_VERSION,
    node: ">=24",
  };
  const manifestBytes = encodeManifest(manifest);
  const signature = signManifest(manifestBytes, opts.key);
  writeFileSync(join(dir, MANIFEST_FILE), manifestBytes);
  writeFileSync(join(dir, SIGNATURE_FILE), `${signature}\n`);
  return { dir, manifest, manifestBytes, signature };
}
