import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { allProcesses } from "./proc-cpu.ts";

/**
 * Gives processes (every thread, and every child process they have forked; later children
 * inherit it) the lowest CPU priority. The sync bench does this to the parts that run on other
 * hosts in production (Postgres at Neon, the ingest Worker on other Cloudflare machines) when it
 * asks what a sync costs live calls apart from this machine's two shared cores: lowered, they
 * still get every cycle the live path does not want. Returns how many threads were changed.
 *
 * With the kernel's autogroups on (`/proc/sys/kernel/sched_autogroup_enabled`), a thread's nice
 * value only ranks it within its session's group, and groups share the CPU as equals: Postgres,
 * which `pg_ctl` starts in a session of its own, took its half of the cores from the live path
 * at nice 19 (measured: a live price p99 of 50 ms beside two busy loops of another session at
 * nice 19, 8.6 ms once their group was at 19). So a process in another group lowers its group too.
 */
export function lowestPriority(pids: number[]): number {
  const all = pids.flatMap((pid) => [pid, ...childrenOf(pid)]);
  const own = autogroupOf(process.pid);
  for (const pid of all) if (own !== undefined && autogroupOf(pid) !== own) lowerAutogroup(pid);
  const tids = all.flatMap(threadsOf);
  for (const tid of tids) execFileSync("renice", ["-n", "19", "-p", String(tid)], { stdio: "ignore" });
  return tids.length;
}

/** The autogroup's id (`/autogroup-<n> nice <k>`), or undefined without autogroups. */
function autogroupOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/autogroup`, "utf8").split(" ")[0];
  } catch {
    return undefined;
  }
}

function lowerAutogroup(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/autogroup`, "19");
  } catch {
    /* gone, or not ours to change: its threads' nice still applies within its group */
  }
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
