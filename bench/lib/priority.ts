import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { allProcesses } from "./proc-cpu.ts";

/**
 * Gives processes (every thread, and every child process they have forked; later children
 * inherit it) the lowest CPU priority. The sync bench does this to the parts that run on other
 * hosts in production (Postgres at Neon, the ingest Worker on other Cloudflare machines) when it
 * asks what a sync costs live calls apart from this machine's two shared cores: lowered, they
 * still get every cycle the live path does not want. Returns how many threads were changed.
 */
export function lowestPriority(pids: number[]): number {
  const tids = pids.flatMap((pid) => [pid, ...childrenOf(pid)]).flatMap(threadsOf);
  for (const tid of tids) execFileSync("renice", ["-n", "19", "-p", String(tid)], { stdio: "ignore" });
  return tids.length;
}

function threadsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

function childrenOf(parent: number): number[] {
  return allProcesses().filter((p) => p.ppid === parent).map((p) => p.pid);
}
