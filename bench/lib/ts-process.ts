import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
/** What a failed child's error quotes of its stderr. */
const STDERR_TAIL = 4_000;

export interface TsProcess {
  proc: ChildProcess;
  pid: number;
  /** Resolves with the collected stdout (empty when it went to a file) on exit 0; rejects otherwise. */
  done: Promise<string>;
  /** The last part of its stderr so far. */
  stderrTail(): string;
}

/**
 * Runs a TypeScript file of this repository in its own Node process (tsx), so its CPU is measured
 * apart from the bench process and it does not share the bench's event loop. Its stdout goes to
 * `stdoutFile` (appended; the kernel writes it, no hop through this process) or is collected.
 */
export function tsProcess(file: string, opts: { env?: Record<string, string>; args?: string[]; nodeFlags?: readonly string[]; stdoutFile?: string } = {}): TsProcess {
  const out = opts.stdoutFile === undefined ? "pipe" : openSync(opts.stdoutFile, "a");
  const proc = spawn(process.execPath, [...(opts.nodeFlags ?? []), "--import", "tsx", file, ...(opts.args ?? [])], { cwd: root, env: { ...process.env, ...opts.env }, stdio: ["ignore", out, "pipe"] });
  if (typeof out === "number") closeSync(out); // the child holds its own descriptor
  let stdout = "";
  let stderr = "";
  proc.stdout?.on("data", (d: Buffer) => (stdout += d));
  proc.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d).slice(-STDERR_TAIL)));
  const done = new Promise<string>((res, rej) => {
    proc.once("error", rej);
    proc.once("exit", (code, signal) => (code === 0 ? res(stdout) : rej(new Error(`${file} exited ${code ?? signal}: ${stderr.slice(-500)}`))));
  });
  if (proc.pid === undefined) throw new Error(`${file}: the child process did not start`);
  return { proc, pid: proc.pid, done, stderrTail: () => stderr };
}

/** SIGTERM (graceful: drain and exit), SIGKILL if it is still there after `graceMs`. */
export async function stopTsProcess(p: TsProcess, graceMs = 10_000): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const exited = new Promise<void>((res) => p.proc.once("exit", () => res()));
  p.proc.kill("SIGTERM");
  const timer = setTimeout(() => p.proc.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
