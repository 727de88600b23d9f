import { type ChildProcess, fork } from "node:child_process";
import { type ChildMessage, type SupervisorMessage, childMessageSchema } from "./ipc.ts";

export interface ChildSpec {
  /** What runs: an installed bundle, or the source tree's main.ts (under tsx). */
  entry: string;
  /** Extra Node flags (the source tree needs `--import tsx`). */
  execArgv: string[];
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * One connector process with an IPC channel. Its stdout/stderr (JSON log lines) pass through
 * to the supervisor's, so the service log stays one stream.
 */
export class ConnectorChild {
  private readonly proc: ChildProcess;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  onMessage: (m: ChildMessage) => void = () => {};

  constructor(
    readonly version: string,
    spec: ChildSpec,
  ) {
    this.proc = fork(spec.entry, spec.args, { cwd: spec.cwd, env: spec.env, execArgv: spec.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.exited = new Promise((resolve) => {
      this.proc.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    this.proc.on("message", (raw: unknown) => {
      const parsed = childMessageSchema.safeParse(raw);
      if (parsed.success) this.onMessage(parsed.data);
    });
    // An IPC write to a child that just died must not crash the supervisor.
    this.proc.on("error", () => {});
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitInfo;
  }

  whenExited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  send(m: SupervisorMessage): boolean {
    if (!this.proc.connected) return false;
    try {
      return this.proc.send(m);
    } catch {
      return false;
    }
  }

  /** SIGTERM (the connector drains), then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (this.exitInfo) return;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
