import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toBase64 } from "../../schema/connector-release.ts";

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  /** Raw 32-byte Ed25519 public key, base64: what RELEASE_PUBLIC_KEYS and connectors trust. */
  publicKeyB64: string;
}

/** Where `npm run release:connector` keeps its development key (gitignored under .data/). */
export const DEV_KEYS_DIR = ".data/release-keys";
const DEV_KEY_FILE = "dev-signing-key.pem";

/** Raw public key bytes: the last 32 bytes of the SPKI DER of an Ed25519 key. */
function rawPublicKey(privateKey: KeyObject): Buffer {
  return createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(-32);
}

/** A key id names the public key, so a connector can tell which trusted key to use. */
export function keyIdOf(publicKeyRaw: Uint8Array): string {
  return `ed25519-${createHash("sha256").update(publicKeyRaw).digest("hex").slice(0, 16)}`;
}

export function signingKeyFromPem(pem: string, keyId?: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error(`release signing key must be Ed25519, got ${privateKey.asymmetricKeyType}`);
  const raw = rawPublicKey(privateKey);
  return { keyId: keyId ?? keyIdOf(raw), privateKey, publicKeyB64: toBase64(raw) };
}

/**
 * The signing key: `B2X_RELEASE_SIGNING_KEY` (PEM, e.g. from the CI's secret store) when set,
 * else the development key in `dir`, generated on first use.
 */
export function loadSigningKey(dir: string, env: NodeJS.ProcessEnv = process.env): SigningKey {
  const fromEnv = env.B2X_RELEASE_SIGNING_KEY;
  if (fromEnv && fromEnv.trim()) return signingKeyFromPem(fromEnv, env.B2X_RELEASE_KEY_ID || undefined);
  const file = join(dir, DEV_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const { privateKey } = generateKeyPairSync("ed25519");
    try {
      writeFileSync(file, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600, flag: "wx" });
    } catch (err) {
      // Another process created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return signingKeyFromPem(readFileSync(file, "utf8"));
}

/** `{ keyId: publicKeyB64 }`, the JSON the edge's RELEASE_PUBLIC_KEYS and a connector's config hold. */
export const trustedKeysOf = (...keys: SigningKey[]): Record<string, string> => Object.fromEntries(keys.map((k) => [k.keyId, k.publicKeyB64]));
