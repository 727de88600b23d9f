import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "./ports.ts";

export interface WorkerProcess {
  baseUrl: string;
  stop(): Promise<void>;
}

export interface WranglerDevOptions {
  root: string;
  port: number;
  inspectorPort: number;
  /** Secrets and vars, written to a .dev.vars-style file that only this process reads. */
  vars: Record<string, string>;
  varsFile: string;
  persistTo: string;
  onOutput?: (line: string) => void;
}

/** Runs the Worker under `wrangler dev` (workerd, fully offline) and waits until it answers. */
export async function startWranglerDev(opts: WranglerDevOptions): Promise<WorkerProcess> {
  writeFileSync(opts.varsFile, Object.entries(opts.vars).map(([k, v]) => `${k}=${v}`).join("\n") + "\n", { mode: 0o600 });
  const bin = join(opts.root, "node_modules", ".bin", "wrangler");
  const child = spawn(
    bin,
    ["dev", "--ip", "127.0.0.1", "--port", String(opts.port), "--inspector-port", String(opts.inspectorPort),
      "--env-file", opts.varsFile, "--persist-to", opts.persistTo, "--show-interactive-dev-session=false", "--log-level", "log"],
    { cwd: opts.root, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const output: string[] = [];
  // A chunk may end mid-line: keep the tail until its newline arrives (JSON log lines stay whole).
  const partial = { stdout: "", stderr: "" };
  const collector = (stream: keyof typeof partial) => (chunk: Buffer) => {
    const lines = (partial[stream] + chunk.toString()).split("\n");
    partial[stream] = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      output.push(line);
      if (output.length > 200) output.shift();
      opts.onOutput?.(line);
    }
  };
  child.stdout?.on("data", collector("stdout"));
  child.stderr?.on("data", collector("stderr"));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // The child runs in its own process group (so the whole group can be stopped); make sure it
  // does not outlive this process when it exits without calling stop (a killed test run).
  const reap = () => {
    try {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  };
  process.once("exit", reap);
  void exited.then(() => process.off("exit", reap));
  const baseUrl = `http://127.0.0.1:${opts.port}`;
  try {
    await Promise.race([
      waitFor("wrangler dev", async () => (await fetch(`${baseUrl}/v1/health`)).ok, 60_000),
      exited.then((code) => {
        throw new Error(`wrangler dev exited with ${code}`);
      }),
    ]);
  } catch (err) {
    await stopChild(child, exited);
    throw new Error(`${String(err)}\n--- wrangler output ---\n${output.join("\n")}`);
  }
  return { baseUrl, stop: () => stopChild(child, exited) };
}

/** wrangler spawns workerd; signal the whole process group so nothing is left behind. */
async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
