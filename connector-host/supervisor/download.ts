import { MAX_ARTIFACT_BYTES, MAX_MANIFEST_BYTES } from "../../schema/connector-release.ts";

/** A download that did not deliver (HTTP error, network): a reason for `connector.update_failed`. */
export class DownloadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "DownloadError";
  }
}

export interface ReleaseSource {
  /** http(s) base URL of the edge (or a mirror of its release routes). */
  baseUrl: string;
  token: string;
}

export function httpBase(url: string): string {
  return url.replace(/^ws(s?):/, "http$1:").replace(/\/$/, "");
}

async function get(src: ReleaseSource, version: string, file: "manifest" | "artifact", limit: number): Promise<{ bytes: Uint8Array<ArrayBuffer>; headers: Headers }> {
  const url = `${httpBase(src.baseUrl)}/v1/connector/releases/${encodeURIComponent(version)}/${file}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${src.token}` }, signal: AbortSignal.timeout(120_000) });
  } catch (err) {
    throw new DownloadError(0, `${file} download failed: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => "")).slice(0, 300);
    throw new DownloadError(res.status, `${file} download answered ${res.status}: ${text}`);
  }
  // Read at most `limit` + 1 bytes: an oversized body is cut, then fails the size check.
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      break;
    }
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  return { bytes, headers: res.headers };
}

export async function downloadManifest(src: ReleaseSource, version: string): Promise<{ manifestBytes: Uint8Array<ArrayBuffer>; signature: string | undefined }> {
  const { bytes, headers } = await get(src, version, "manifest", MAX_MANIFEST_BYTES);
  return { manifestBytes: bytes, signature: headers.get("x-b2x-release-signature") ?? undefined };
}

export async function downloadArtifact(src: ReleaseSource, version: string, size: number): Promise<Uint8Array<ArrayBuffer>> {
  return (await get(src, version, "artifact", Math.min(size, MAX_ARTIFACT_BYTES))).bytes;
}
