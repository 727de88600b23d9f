import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ARTIFACT_FILE, MANIFEST_SCHEMA, type ReleaseManifest, compareVersions, sha256Hex, verifyArtifact, verifyManifest } from "../../schema/connector-release.ts";
import { createRelease, encodeManifest, signManifest } from "../../scripts/release/create.ts";
import { type SigningKey, signingKeyFromPem, trustedKeysOf } from "../../scripts/release/keys.ts";
import { ReleaseStore } from "./release-store.ts";
import { checkArtifact, checkManifest } from "./verify.ts";

const newKey = (keyId?: string): SigningKey => signingKeyFromPem(generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString(), keyId);
const trusted = newKey();
const rogue = newKey();
const keys = trustedKeysOf(trusted);
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "b2x-release-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function signed(version: string, artifact = new TextEncoder().encode(`console.log("${version}");\n`), key = trusted, keyId = key.keyId) {
  const manifest: ReleaseManifest = { schema: MANIFEST_SCHEMA, version, sha256: await sha256Hex(artifact), size: artifact.byteLength, createdAt: new Date().toISOString(), keyId, entry: ARTIFACT_FILE };
  const manifestBytes = encodeManifest(manifest);
  return { manifest, manifestBytes, signature: signManifest(manifestBytes, key), artifact };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
  return "accepted";
}

describe("release script", () => {
  it("bundles the connector into one file and signs a manifest the edge's verifier accepts", async () => {
    const out = tmp();
    const r = await createRelease({ version: "3.4.5", entry: "connector-host/main.ts", outDir: out, key: trusted });
    const artifact = new Uint8Array(readFileSync(join(r.dir, ARTIFACT_FILE)));
    const manifestBytes = new Uint8Array(readFileSync(join(r.dir, "manifest.json")));
    const manifest = await verifyManifest(manifestBytes, readFileSync(join(r.dir, "manifest.sig"), "utf8"), keys);
    expect(manifest).toMatchObject({ version: "3.4.5", size: artifact.byteLength, keyId: trusted.keyId });
    await verifyArtifact(manifest, artifact);
    expect(new TextDecoder().decode(artifact)).toContain('"3.4.5"'); // the version is baked in
    await expect(createRelease({ version: "3.4.5", entry: "connector-host/main.ts", outDir: out, key: trusted })).rejects.toThrow(/immutable/);
  });
});

describe("manifest and artifact verification", () => {
  it("accepts a signed manifest and its artifact", async () => {
    const s = await signed("1.2.0");
    const m = await checkManifest({ asked: "1.2.0", running: "1.1.9", keys, manifestBytes: s.manifestBytes, signature: s.signature });
    await checkArtifact(m, s.artifact);
  });

  it("refuses every bad input with its reason", async () => {
    const s = await signed("1.2.0");
    const text = new TextDecoder().decode(s.manifestBytes);
    const bytes = (t: string) => new TextEncoder().encode(t);
    const check = (over: Partial<Parameters<typeof checkManifest>[0]>) => refusal(checkManifest({ asked: "1.2.0", running: "1.1.0", keys, manifestBytes: s.manifestBytes, signature: s.signature, ...over }));
    expect(await check({ signature: undefined })).toBe("unsigned");
    expect(await check({ signature: "" })).toBe("unsigned");
    expect(await check({ manifestBytes: bytes(text.replace(s.manifest.sha256, "f".repeat(64))) })).toBe("bad_signature"); // tampered hash
    expect(await check({ manifestBytes: bytes(text.replace('"size": ', '"size":  ')) })).toBe("bad_signature"); // even whitespace
    expect(await check({ signature: (await signed("1.2.0", s.artifact, rogue, trusted.keyId)).signature })).toBe("bad_signature"); // other key, trusted id
    expect(await check({ signature: "AAAA" })).toBe("bad_signature");
    expect(await check({ signature: "%%%" })).toBe("bad_signature");
    const rogueSigned = await signed("1.2.0", s.artifact, rogue);
    expect(await check({ manifestBytes: rogueSigned.manifestBytes, signature: rogueSigned.signature })).toBe("unknown_key");
    expect(await check({ manifestBytes: bytes("not json") })).toBe("manifest_invalid");
    expect(await check({ manifestBytes: new Uint8Array(5000) })).toBe("manifest_invalid");
    expect(await check({ asked: "1.3.0" })).toBe("version_mismatch");
    expect(await check({ running: "1.2.1" })).toBe("downgrade"); // a replayed old manifest
    expect(await check({ running: "2.0.0-rc.1" })).toBe("downgrade");
    // A validly signed manifest that breaks the schema is still refused.
    const weird = bytes(JSON.stringify({ ...s.manifest, entry: "../../evil.mjs" }));
    expect(await check({ manifestBytes: weird, signature: signManifest(weird, trusted) })).toBe("manifest_invalid");

    expect(await refusal(checkArtifact(s.manifest, s.artifact.slice(0, -1)))).toBe("size_mismatch"); // truncated
    expect(await refusal(checkArtifact(s.manifest, new Uint8Array([...s.artifact, 10])))).toBe("size_mismatch");
    const flipped = s.artifact.slice();
    flipped[0] = flipped[0]! ^ 1;
    expect(await refusal(checkArtifact(s.manifest, flipped))).toBe("hash_mismatch");
  });

  it("orders versions by semantic-version precedence", () => {
    const ordered = ["0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "10.0.0"];
    for (let i = 1; i < ordered.length; i++) expect(compareVersions(ordered[i - 1]!, ordered[i]!), `${ordered[i - 1]} < ${ordered[i]}`).toBeLessThan(0);
    expect(compareVersions("2.3.4", "2.3.4")).toBe(0);
  });
});

describe("installed releases", () => {
  it("keeps versions side by side, re-verifies them, and notices a file changed on disk", async () => {
    const store = new ReleaseStore(tmp());
    const a = await signed("1.0.0");
    const b = await signed("1.1.0");
    store.install("1.0.0", a);
    store.install("1.1.0", b);
    expect(store.has("1.0.0") && store.has("1.1.0")).toBe(true);
    expect((await store.verifyInstalled("1.0.0", keys)).version).toBe("1.0.0");
    writeFileSync(store.entry("1.0.0"), "console.log('evil');\n");
    expect(await refusal(store.verifyInstalled("1.0.0", keys))).toBe("size_mismatch");
    store.markBad("1.2.0", "not_ready");
    store.setCurrent("1.1.0");
    const reopened = new ReleaseStore(store.dir);
    expect(reopened.current).toBe("1.1.0");
    expect(reopened.badReason("1.2.0")).toBe("not_ready");
  });
});
