import type { PublicKeys } from "../../schema/connector-release.ts";
import { ReleaseError } from "../../schema/connector-release.ts";
import type { Logger } from "../runtime/log.ts";
import { CONNECTOR_NODE_FLAGS } from "../runtime/node-flags.ts";
import { type ChildSpec, ConnectorChild } from "./child.ts";
import { DownloadError, type ReleaseSource, downloadArtifact, downloadManifest } from "./download.ts";
import type { ChildMessage } from "./ipc.ts";
import type { ReleaseStore } from "./release-store.ts";
import { checkArtifact, checkManifest } from "./verify.ts";

/** A runnable connector build: the tree the supervisor ships with, or an installed release. */
export interface Build {
  version: string;
  kind: "source" | "installed";
}

export interface SupervisorOptions {
  store: ReleaseStore;
  keys: PublicKeys;
  source: ReleaseSource;
  /** The build shipped with the supervisor (version and how to start it). */
  sourceBuild: { version: string; spec: Omit<ChildSpec, "args" | "env"> };
  /** Connector arguments (config path and overrides) and environment (token) for every child. */
  childArgs: string[];
  childEnv: NodeJS.ProcessEnv;
  /** Working directory of installed builds (the service's directory). */
  cwd: string;
  /** A new version must be ready and heartbeating within this time. */
  graceMs: number;
  /** ...and then keep running and heartbeating for this long, or it is rolled back. */
  probationMs: number;
  /** A silence longer than this counts as "stopped heartbeating" (a few heartbeat intervals). */
  heartbeatStallMs: number;
  /** How long a stopping child may drain before it is killed. */
  stopGraceMs: number;
  log: Logger;
}

interface Live {
  child: ConnectorChild;
  build: Build;
  ready: boolean;
  heartbeats: number;
  lastHeartbeatAt: number;
  /** The version the child says it is (what its Hello told the edge). */
  reportedVersion?: string;
}

/** Integrity failures a flaky network can cause: tried again a few times before the version is given up. */
const TRANSIENT = new Set(["size_mismatch", "hash_mismatch"]);
const MAX_TRANSIENT_ATTEMPTS = 3;

/**
 * Runs the connector as a child process and updates it to the version the edge wants
 * (ADR-034): download, verify (signature, version, no downgrade, size, hash), install beside
 * the previous version, switch, and roll back automatically if the new version does not get
 * ready and heartbeat within the grace period. Every outcome is reported to the edge as an
 * event through the running child.
 */
export class Supervisor {
  private live: Live | undefined;
  private wanted: string | undefined;
  private busy = false;
  private switching = false;
  private stopped = false;
  private restartDelayMs = 1_000;
  private restartTimer: NodeJS.Timeout | undefined;
  private reports: { kind: string; payload: Record<string, unknown> }[] = [];
  /** Reports handed to a child and not yet confirmed sent to the edge. */
  private readonly unconfirmed = new Map<number, { child: ConnectorChild; report: { kind: string; payload: Record<string, unknown> } }>();
  private nextReportId = 1;
  private readonly attempts = new Map<string, number>();
  private readonly skippedLogged = new Set<string>();

  constructor(private readonly o: SupervisorOptions) {}

  get running(): Build | undefined {
    return this.live?.build;
  }

  /** Starts the last good installed version, else the shipped build. */
  async start(): Promise<void> {
    const current = this.o.store.current;
    if (current && this.o.store.has(current)) {
      try {
        await this.o.store.verifyInstalled(current, this.o.keys);
        this.launch({ version: current, kind: "installed" });
        return;
      } catch (err) {
        this.o.log("error", "installed version failed verification; starting the shipped build", { version: current, error: String(err) });
        this.o.store.markBad(current, err instanceof ReleaseError ? err.code : "invalid");
        this.o.store.setCurrent(null);
      }
    }
    this.launch({ version: this.o.sourceBuild.version, kind: "source" });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.live?.child.stop(this.o.stopGraceMs);
  }

  private spec(build: Build): ChildSpec {
    const base = build.kind === "source" ? this.o.sourceBuild.spec : { entry: this.o.store.entry(build.version), execArgv: [...CONNECTOR_NODE_FLAGS], cwd: this.o.cwd };
    return { ...base, args: this.o.childArgs, env: { ...process.env, ...this.o.childEnv } };
  }

  private launch(build: Build): Live {
    const child = new ConnectorChild(build.version, this.spec(build));
    const live: Live = { child, build, ready: false, heartbeats: 0, lastHeartbeatAt: 0 };
    this.live = live;
    child.onMessage = (m) => this.onChildMessage(live, m);
    this.o.log("info", "connector process started", { version: build.version, kind: build.kind, pid: child.pid });
    void child.whenExited().then((exit) => this.onChildExit(live, exit));
    return live;
  }

  private onChildMessage(live: Live, m: ChildMessage): void {
    if (m.type === "event-sent") return this.confirmed(m.id, m.ok);
    live.lastHeartbeatAt = Date.now();
    if (m.type === "ready") {
      live.ready = true;
      live.reportedVersion = m.version;
      if (live === this.live) this.restartDelayMs = 1_000;
      this.flushReports();
    } else {
      live.heartbeats++;
    }
    if (live === this.live && !this.switching) this.want(m.desiredVersion);
  }

  /** A child that ends outside a switch is restarted (backoff 1 s doubling to 30 s). */
  private onChildExit(live: Live, exit: { code: number | null; signal: NodeJS.Signals | null }): void {
    this.requeueUnconfirmed(live.child);
    if (live !== this.live || this.switching || this.stopped) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, 30_000);
    this.o.log("warn", "connector process ended; restarting", { version: live.build.version, ...exit, inMs: delay });
    this.restartTimer = setTimeout(() => {
      if (!this.stopped && this.live === live) this.launch(live.build);
    }, delay);
  }

  private want(version: string): void {
    if (!version || version === this.live?.build.version) return;
    this.wanted = version;
    if (!this.busy) void this.applyWanted();
  }

  private async applyWanted(): Promise<void> {
    this.busy = true;
    try {
      while (this.wanted && !this.stopped) {
        const version = this.wanted;
        this.wanted = undefined;
        if (version === this.live?.build.version) continue;
        try {
          await this.update(version);
        } catch (err) {
          this.o.log("error", "update failed unexpectedly", { version, error: String(err) });
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** One wanted version: resolve a build (kept on disk, or downloaded and verified), then switch. */
  private async update(version: string): Promise<void> {
    const bad = this.o.store.badReason(version);
    if (bad) {
      if (!this.skippedLogged.has(version)) this.o.log("warn", "desired version was refused or rolled back before; not trying it again", { version, reason: bad });
      this.skippedLogged.add(version);
      return;
    }
    const from = this.live!.build.version;
    let build: Build;
    try {
      build = await this.resolve(version, from);
    } catch (err) {
      this.refused(version, from, err);
      return;
    }
    await this.switchTo(build, from);
  }

  private async resolve(version: string, running: string): Promise<Build> {
    if (version === this.o.sourceBuild.version && !this.o.store.has(version)) return { version, kind: "source" };
    if (this.o.store.has(version)) {
      // Kept on disk (rollback by flag, or forward again): no download, but verified again.
      await this.o.store.verifyInstalled(version, this.o.keys);
      this.o.log("info", "switching to a version kept on disk", { version, running });
      return { version, kind: "installed" };
    }
    this.o.log("info", "downloading connector release", { version, running });
    const { manifestBytes, signature } = await downloadManifest(this.o.source, version);
    const manifest = await checkManifest({ asked: version, running, keys: this.o.keys, manifestBytes, signature });
    const artifact = await downloadArtifact(this.o.source, version, manifest.size);
    await checkArtifact(manifest, artifact);
    this.o.store.install(version, { manifestBytes, signature: signature!, artifact });
    this.o.log("info", "connector release verified and installed", { version, sha256: manifest.sha256, size: manifest.size });
    return { version, kind: "installed" };
  }

  private refused(version: string, running: string, err: unknown): void {
    const reason = err instanceof ReleaseError ? err.code : err instanceof DownloadError ? "download_failed" : "internal";
    const message = (err as Error).message;
    this.o.log("error", "connector update refused", { version, running, reason, error: message });
    if (err instanceof ReleaseError) {
      const n = (this.attempts.get(version) ?? 0) + 1;
      this.attempts.set(version, n);
      if (!TRANSIENT.has(err.code) || n >= MAX_TRANSIENT_ATTEMPTS) this.o.store.markBad(version, err.code);
    }
    this.report("connector.update_failed", { version, running, reason, message: message.slice(0, 500), ...(err instanceof DownloadError && { status: err.status }) });
  }

  /**
   * Stops the running child, starts `build`, and waits for it to be connected, welcomed and
   * heartbeating. One child at a time: two with the same connector id would fence each other.
   * If the new one fails, it is stopped, marked bad, and the previous build runs again.
   */
  private async switchTo(build: Build, from: string): Promise<void> {
    const previous = this.live!;
    this.switching = true;
    try {
      await previous.child.stop(this.o.stopGraceMs);
      const next = this.launch(build);
      const failure = (await this.accepted(next)) ?? (await this.probation(next));
      if (!failure) {
        this.o.store.setCurrent(build.kind === "installed" ? build.version : null);
        this.o.log("info", "connector updated", { version: build.version, from });
        this.report("connector.update_installed", { version: build.version, from });
        return;
      }
      this.o.log("error", "new connector version failed; rolling back", { version: build.version, from, reason: failure });
      await next.child.stop(this.o.stopGraceMs);
      this.o.store.markBad(build.version, failure);
      this.launch(previous.build);
      this.report("connector.update_rolled_back", { version: build.version, from, running: previous.build.version, reason: failure });
    } finally {
      this.switching = false;
    }
  }

  /** Undefined when the child got ready and heartbeated in time, else why not. */
  private async accepted(live: Live): Promise<string | undefined> {
    const deadline = Date.now() + this.o.graceMs;
    while (Date.now() < deadline) {
      if (live.child.exit) return `exited (code ${live.child.exit.code ?? "none"}, signal ${live.child.exit.signal ?? "none"}) before it was ready`;
      if (live.ready && Date.now() - live.lastHeartbeatAt > this.o.heartbeatStallMs) return "no_heartbeat";
      if (live.ready && live.reportedVersion !== live.build.version) return `version_mismatch: runs as ${live.reportedVersion ?? "?"}, installed as ${live.build.version}`;
      if (live.ready && live.heartbeats > 0) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
    return live.ready ? "no_heartbeat" : "not_ready";
  }

  /** Undefined when the child kept running and heartbeating for the probation time, else why not. */
  private async probation(live: Live): Promise<string | undefined> {
    const end = Date.now() + this.o.probationMs;
    while (Date.now() < end) {
      if (live.child.exit) return `exited (code ${live.child.exit.code ?? "none"}, signal ${live.child.exit.signal ?? "none"}) during probation`;
      if (Date.now() - live.lastHeartbeatAt > this.o.heartbeatStallMs) return "no_heartbeat";
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  }

  private report(kind: string, payload: Record<string, unknown>): void {
    this.reports.push({ kind, payload });
    this.flushReports();
  }

  /**
   * Reports reach the edge through the running child once it is connected; one the child could
   * not send (tunnel closed, child gone) is queued again for the next connected child.
   */
  private flushReports(): void {
    const live = this.live;
    if (!live?.ready) return;
    for (const report of this.reports.splice(0)) {
      const id = this.nextReportId++;
      if (live.child.send({ type: "event", id, kind: report.kind, payload: report.payload })) this.unconfirmed.set(id, { child: live.child, report });
      else this.reports.push(report);
    }
  }

  private confirmed(id: number, ok: boolean): void {
    const entry = this.unconfirmed.get(id);
    if (!entry) return;
    this.unconfirmed.delete(id);
    if (!ok) this.reports.push(entry.report);
  }

  private requeueUnconfirmed(child: ConnectorChild): void {
    for (const [id, entry] of this.unconfirmed) {
      if (entry.child !== child) continue;
      this.unconfirmed.delete(id);
      this.reports.push(entry.report);
    }
  }
}
