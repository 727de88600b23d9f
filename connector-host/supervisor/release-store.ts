import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACT_FILE, MANIFEST_FILE, type PublicKeys, type ReleaseManifest, SIGNATURE_FILE } from "../../schema/connector-release.ts";
import { checkArtifact, checkManifest } from "./verify.ts";

interface State {
  /** The installed version last switched to successfully (null: the source tree / bundled build). */
  current: string | null;
  /** Versions that failed (refused or rolled back): never tried again automatically. */
  bad: Record<string, string>;
}

/**
 * Installed connector versions, `<dir>/<version>/{connector.mjs, manifest.json, manifest.sig}`,
 * and the supervisor's small state file. Installs are atomic (temp dir, then rename) so a
 * crash never leaves half a version that looks complete.
 */
export class ReleaseStore {
  private state: State;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.state = this.readState();
  }

  private readState(): State {
    try {
      const s = JSON.parse(readFileSync(join(this.dir, "state.json"), "utf8")) as Partial<State>;
      return { current: typeof s.current === "string" ? s.current : null, bad: s.bad && typeof s.bad === "object" ? s.bad : {} };
    } catch {
      return { current: null, bad: {} };
    }
  }

  private saveState(): void {
    const tmp = join(this.dir, `state.json.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(this.state, null, 2));
    renameSync(tmp, join(this.dir, "state.json"));
  }

  get current(): string | null {
    return this.state.current;
  }

  setCurrent(version: string | null): void {
    this.state.current = version;
    this.saveState();
  }

  badReason(version: string): string | undefined {
    return this.state.bad[version];
  }

  markBad(version: string, reason: string): void {
    this.state.bad[version] = reason;
    this.saveState();
  }

  entry(version: string): string {
    return join(this.dir, version, ARTIFACT_FILE);
  }

  has(version: string): boolean {
    return [ARTIFACT_FILE, MANIFEST_FILE, SIGNATURE_FILE].every((f) => existsSync(join(this.dir, version, f)));
  }

  /**
   * Re-verifies a kept version before it runs again (the disk is not trusted more than the
   * network): signature, version and hash. `running` is the floor for the downgrade check, so a
   * rollback passes the kept version itself.
   */
  async verifyInstalled(version: string, keys: PublicKeys): Promise<ReleaseManifest> {
    const read = (f: string) => new Uint8Array(readFileSync(join(this.dir, version, f)));
    const manifest = await checkManifest({ asked: version, running: version, keys, manifestBytes: read(MANIFEST_FILE), signature: readFileSync(join(this.dir, version, SIGNATURE_FILE), "utf8") });
    await checkArtifact(manifest, read(ARTIFACT_FILE));
    return manifest;
  }

  install(version: string, parts: { manifestBytes: Uint8Array; signature: string; artifact: Uint8Array }): void {
    const tmp = join(this.dir, `.installing-${version}-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, ARTIFACT_FILE), parts.artifact);
    writeFileSync(join(tmp, MANIFEST_FILE), parts.manifestBytes);
    writeFileSync(join(tmp, SIGNATURE_FILE), parts.signature);
    rmSync(join(this.dir, version), { recursive: true, force: true });
    renameSync(tmp, join(this.dir, version));
  }
}
