import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { allProcesses } from "./proc-cpu.ts";
import { lowestPriority } from "./priority.ts";

/** The cpu cgroup a process is in (v1 `cpu` controller line, or the v2 unified line). */
function cpuCgroupOf(pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
  const line = lines.find((l) => /^\d+:([^:]*,)?cpu(,[^:]*)?:/.test(l)) ?? lines.find((l) => l.startsWith("0::"));
  return line!.split(":").slice(2).join(":");
}

const canUseCgroups = process.getuid?.() === 0 && (existsSync("/sys/fs/cgroup/cpu/cpu.shares") || existsSync("/sys/fs/cgroup/cgroup.controllers"));
let child: ChildProcess | undefined;
afterEach(() => void child?.kill("SIGKILL"));

describe("lowestPriority", () => {
  it.skipIf(!canUseCgroups)("puts a process, its children and the children it forks later (even in a session of their own) in one cgroup, removed on release", async () => {
    // Like the postmaster: a child now, and later one that calls setsid() as every backend does.
    child = spawn("sh", ["-c", "sleep 30 & sleep 0.5; setsid sleep 30 & wait"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 150));
    const lowered = lowestPriority([child.pid!], `b2x-priority-test-${process.pid}`);
    try {
      expect(lowered.how).toMatch(/^cgroup v[12]$/);
      const group = cpuCgroupOf(child.pid!);
      expect(group).toBe(`/b2x-priority-test-${process.pid}`);
      await new Promise((r) => setTimeout(r, 800));
      const children = allProcesses().filter((p) => p.ppid === child!.pid);
      expect(children.length).toBe(2);
      for (const c of children) expect(cpuCgroupOf(c.pid)).toBe(group);
      expect(cpuCgroupOf(process.pid)).not.toBe(group);
      // Idle as a group where the kernel has cpu.idle: a waking task elsewhere preempts it at once.
      const idleFile = [`/sys/fs/cgroup/cpu${group}/cpu.idle`, `/sys/fs/cgroup${group}/cpu.idle`].find(existsSync);
      if (idleFile) expect(readFileSync(idleFile, "utf8").trim()).toBe("1");
    } finally {
      for (const c of allProcesses().filter((p) => p.ppid === child!.pid)) process.kill(c.pid, "SIGKILL");
      child.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 100));
      lowered.release();
    }
    expect(existsSync(`/sys/fs/cgroup/cpu/b2x-priority-test-${process.pid}`) || existsSync(`/sys/fs/cgroup/b2x-priority-test-${process.pid}`)).toBe(false);
  });
});
