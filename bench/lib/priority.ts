import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { allProcesses } from "./proc-cpu.ts";

/** How the processes were lowered, and how to undo what outlives them. */
export interface Lowered {
  /** `cgroup v1` / `cgroup v2`: a CPU cgroup of the least weight, idle where the kernel has `cpu.idle`; `nice`: nice 19 and autogroups (a fallback). */
  how: "cgroup v1" | "cgroup v2" | "nice";
  /** Removes the cgroup (its processes, if any are left, go back to the root group). */
  release(): void;
}

/**
 * Gives processes, and every process they fork later, the least CPU weight. The sync bench does
 * this to the parts that run on other hosts in production (Postgres at Neon, the ingest Worker on
 * other Cloudflare machines) when it asks what a sync costs live calls apart from this machine's
 * two shared cores: lowered, they still get every cycle the live path does not want.
 *
 * A cgroup, not nice: with the kernel's autogroups on (`/proc/sys/kernel/sched_autogroup_enabled`)
 * a thread's nice only ranks it within its session's group, and groups share the CPU as equals.
 * Every Postgres backend calls setsid() when the postmaster forks it, so each connection is a
 * session, and an autogroup at nice 0, of its own: renicing the postmaster (and lowering the
 * autogroups there were) left every backend born later, the sync's and the floor's COPY among
 * them, an equal of the live path. Measured beside two CPU-bound queries on new connections: a
 * 4-process loopback ping chain's p99 5.5 ms with nice and autogroups, 3.1 ms with the cgroup.
 * A forked child stays in its parent's cgroup whatever sessions it makes, and a task outside the
 * root group is not put in an autogroup at all. Needs root; otherwise falls back to nice.
 */
export function lowestPriority(pids: number[], name = `b2x-bench-remote-${process.pid}`): Lowered {
  const group = cpuCgroup(name);
  if (group) {
    // Children forked before now stay where they are (Postgres's checkpointer, WAL writer...): move them too.
    for (const pid of withDescendants(pids)) writeFileSync(join(group.dir, "cgroup.procs"), String(pid));
    return { how: group.how, release: () => removeCgroup(group.dir, group.root) };
  }
  lowerByNice(pids);
  return { how: "nice", release: () => {} };
}

/** A new CPU cgroup of the least weight (v2 `cpu.weight` 1, v1 `cpu.shares` 2), or undefined where none can be made. */
function cpuCgroup(name: string): { dir: string; root: string; how: Lowered["how"] } | undefined {
  const v2 = "/sys/fs/cgroup";
  const v1 = "/sys/fs/cgroup/cpu";
  try {
    if (existsSync(join(v2, "cgroup.controllers")) && readFileSync(join(v2, "cgroup.controllers"), "utf8").split(/\s+/).includes("cpu")) {
      writeFileSync(join(v2, "cgroup.subtree_control"), "+cpu");
      const dir = join(v2, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "cpu.weight"), "1");
      markIdle(dir);
      return { dir, root: v2, how: "cgroup v2" };
    }
    if (existsSync(join(v1, "cpu.shares"))) {
      const dir = join(v1, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "cpu.shares"), "2");
      markIdle(dir);
      return { dir, root: v1, how: "cgroup v1" };
    }
  } catch {
    /* not root, or the hierarchy is read-only here: fall back to nice */
  }
  return undefined;
}

/**
 * `cpu.idle` (Linux 5.15+, v1 and v2): the group's tasks count as SCHED_IDLE, so a waking task
 * outside it preempts them at once instead of waiting out their slice, and a CPU running only
 * them counts as free when a waking task is placed. Without it the weight alone still applies.
 */
function markIdle(dir: string): void {
  try {
    writeFileSync(join(dir, "cpu.idle"), "1");
  } catch {
    /* an older kernel */
  }
}

function removeCgroup(dir: string, root: string): void {
  try {
    for (const pid of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) {
      try {
        writeFileSync(join(root, "cgroup.procs"), pid);
      } catch {
        /* exited meanwhile */
      }
    }
    rmdirSync(dir);
  } catch {
    /* already gone */
  }
}

/**
 * The fallback: nice 19 for every thread of the processes and of their children now, and their
 * autogroups at 19 where they are not this process's. Children born later inherit the nice value
 * but, when they make a session of their own (Postgres backends do), not the lowered autogroup.
 */
function lowerByNice(pids: number[]): void {
  const all = withDescendants(pids);
  const own = autogroupOf(process.pid);
  for (const pid of all) if (own !== undefined && autogroupOf(pid) !== own) lowerAutogroup(pid);
  for (const tid of all.flatMap(threadsOf)) execFileSync("renice", ["-n", "19", "-p", String(tid)], { stdio: "ignore" });
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

/** The processes and every process below them, as they are now. */
function withDescendants(pids: number[]): number[] {
  const all = allProcesses();
  const out: number[] = [];
  const visit = (pid: number) => {
    if (out.includes(pid)) return;
    out.push(pid);
    for (const c of all) if (c.ppid === pid) visit(c.pid);
  };
  pids.forEach(visit);
  return out;
}
