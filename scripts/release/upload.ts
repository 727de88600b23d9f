import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACT_FILE, MANIFEST_FILE, SIGNATURE_FILE, toBase64 } from "../../schema/connector-release.ts";

/** Header names of `POST /v1/admin/connector-releases` (the body is the artifact). */
export const RELEASE_HEADERS = { manifest: "x-b2x-release-manifest", signature: "x-b2x-release-signature" } as const;

export interface UploadParts {
  manifestBytes: Uint8Array;
  signature: string;
  artifact: Uint8Array;
}

export function readReleaseDir(dir: string): UploadParts {
  return {
    manifestBytes: new Uint8Array(readFileSync(join(dir, MANIFEST_FILE))),
    signature: readFileSync(join(dir, SIGNATURE_FILE), "utf8").trim(),
    artifact: new Uint8Array(readFileSync(join(dir, ARTIFACT_FILE))),
  };
}

/** Uploads one release; the edge verifies the signature against its trusted keys. */
export async function uploadRelease(edgeUrl: string, adminToken: string, parts: UploadParts): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${edgeUrl.replace(/\/$/, "")}/v1/admin/connector-releases`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${adminToken}`,
      "content-type": "application/octet-stream",
      [RELEASE_HEADERS.manifest]: toBase64(parts.manifestBytes),
      [RELEASE_HEADERS.signature]: parts.signature,
    },
    body: parts.artifact,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body };
}
