import { ARTIFACT_FILE, MANIFEST_FILE, SIGNATURE_FILE } from "../../../schema/connector-release.ts";

export type ReleaseFile = typeof ARTIFACT_FILE | typeof MANIFEST_FILE | typeof SIGNATURE_FILE;

/**
 * R2 keys carry the artifact's hash as well as the version: the Postgres row (one per
 * version) names the hash, so a losing concurrent upload of the same version can never
 * replace the bytes the row vouches for.
 */
export const releaseObjectKey = (version: string, sha256: string, file: ReleaseFile): string => `releases/${version}/${sha256}/${file}`;
