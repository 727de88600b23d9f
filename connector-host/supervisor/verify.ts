import { type PublicKeys, ReleaseError, type ReleaseManifest, compareVersions, verifyArtifact, verifyManifest } from "../../schema/connector-release.ts";

export interface ManifestCheck {
  /** The version the edge asked for. */
  asked: string;
  /** The version running now. */
  running: string;
  keys: PublicKeys;
  manifestBytes: Uint8Array<ArrayBuffer>;
  signature: string | undefined;
}

/**
 * What the supervisor believes of a downloaded manifest: signed by a trusted key, untampered,
 * for exactly the version asked for, and not older than what runs. An older manifest is a
 * replay (someone serving a signed but vulnerable old build); going back is only done to a
 * version still kept on disk, which never needs a download (see Supervisor.apply).
 */
export async function checkManifest(c: ManifestCheck): Promise<ReleaseManifest> {
  const manifest = await verifyManifest(c.manifestBytes, c.signature, c.keys);
  if (manifest.version !== c.asked) throw new ReleaseError("version_mismatch", `asked for ${c.asked}, the signed manifest is for ${manifest.version}`);
  if (compareVersions(manifest.version, c.running) < 0) {
    throw new ReleaseError("downgrade", `${manifest.version} is older than the running ${c.running} and not kept on disk: refused as a replayed old release`);
  }
  return manifest;
}

/** The artifact must be exactly the signed size and hash (a truncated download fails here). */
export const checkArtifact = (manifest: ReleaseManifest, artifact: Uint8Array<ArrayBuffer>): Promise<void> => verifyArtifact(manifest, artifact);
