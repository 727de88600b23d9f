import { readFileSync, readdirSync } from "node:fs";

/** Linux clock ticks per second (USER_HZ); 100 on every common kernel configuration. */
const TICKS = 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime of the process itself. */
  own: number;
  /** own + cutime + cstime: includes children it has reaped (short-lived backends). */
  tree: number;
}

function readStat(path: string): ProcStat | undefined {
  try {
    const raw = readFileSync(path, "utf8");
    // comm may hold spaces and parentheses: split after the last ')'.
    const close = raw.lastIndexOf(")");
    const comm = raw.slice(raw.indexOf("(") + 1, close);
    const f = raw.slice(close + 2).split(" ");
    const n = (i: number) => Number(f[i - 3]);
    return { pid: Number(raw.slice(0, raw.indexOf(" "))), ppid: n(4), comm, own: n(14) + n(15), tree: n(14) + n(15) + n(16) + n(17) };
  } catch {
    return undefined; // gone between listing and reading
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** Every process of the machine now (pid, parent, command, CPU ticks). */
export function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const d of readdirSync("/proc")) if (/^\d+$/.test(d)) {
    const s = readStat(`/proc/${d}/stat`);
    if (s) out.push(s);
  }
  return out;
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function machine(): { busy: number; total: number; cores: number } {
  const lines = readFileSync("/proc/stat", "utf8").split("\n");
  const cpu = lines[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total, cores: lines.filter((l) => /^cpu\d+ /.test(l)).length };
}

/** Which component a process belongs to: the first classifier that claims it or an ancestor. */
export type Classifier = (p: { pid: number; comm: string; cmdline: string }) => string | undefined;

export interface CpuSample {
  at: number;
  /** Cumulative ticks per component (live processes, with what they reaped). */
  ticks: Record<string, number>;
  /** Cumulative ticks per thread id, with its component, for the busiest-thread figure. */
  threads: Map<number, { component: string; ticks: number }>;
  machine: { busy: number; total: number; cores: number };
}

/**
 * Processes under one of `roots` (this run's own: other programs on the machine, such as another
 * stack's workerd, are never counted), each with the component of itself or its nearest ancestor.
 */
function classifyAll(classify: Classifier, roots: number[]): Map<number, { component: string; stat: ProcStat }> {
  const procs = allProcesses();
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const rootSet = new Set(roots);
  const memo = new Map<number, string | null>();
  const componentOf = (pid: number, depth = 0): string | null => {
    if (memo.has(pid)) return memo.get(pid)!;
    const p = byPid.get(pid);
    if (!p || depth > 64) return null;
    const above = rootSet.has(pid) ? "root" : p.ppid > 1 ? componentOf(p.ppid, depth + 1) : null;
    const c = above === null ? null : (classify({ pid, comm: p.comm, cmdline: cmdline(pid) }) ?? (above === "root" ? null : above));
    memo.set(pid, c ?? (above === null ? null : "root"));
    return memo.get(pid)!;
  };
  const out = new Map<number, { component: string; stat: ProcStat }>();
  for (const p of procs) {
    const c = componentOf(p.pid);
    if (c && c !== "root") out.set(p.pid, { component: c, stat: p });
  }
  return out;
}

export function sampleCpu(classify: Classifier, roots: number[]): CpuSample {
  const procs = classifyAll(classify, roots);
  const ticks: Record<string, number> = {};
  const threads = new Map<number, { component: string; ticks: number }>();
  for (const [pid, { component, stat }] of procs) {
    // Live processes with what each has reaped: a short-lived Postgres backend counts while it
    // runs and, once gone, inside its postmaster's cutime, so the interval's delta stays whole.
    ticks[component] = (ticks[component] ?? 0) + stat.tree;
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const t = readStat(`/proc/${pid}/task/${tid}/stat`);
        if (t) threads.set(Number(tid), { component, ticks: t.own });
      }
    } catch {
      /* exited */
    }
  }
  return { at: performance.now(), ticks, threads, machine: machine() };
}

export interface CpuUse {
  /** Percent of one core per component over the interval (200 = two cores busy). */
  percent: Record<string, number>;
  /** The busiest single thread of each component, in percent of one core. */
  busiestThread: Record<string, number>;
  /** Whole machine busy, percent of all cores. */
  machinePercent: number;
  cores: number;
}

export function cpuBetween(a: CpuSample, b: CpuSample): CpuUse {
  const seconds = (b.at - a.at) / 1000;
  const percent: Record<string, number> = {};
  for (const [c, t] of Object.entries(b.ticks)) percent[c] = Math.max(0, ((t - (a.ticks[c] ?? 0)) / TICKS / seconds) * 100);
  const busiestThread: Record<string, number> = {};
  for (const [tid, t] of b.threads) {
    const before = a.threads.get(tid)?.ticks ?? t.ticks; // a thread born mid-interval is not measured
    const p = ((t.ticks - before) / TICKS / seconds) * 100;
    busiestThread[t.component] = Math.max(busiestThread[t.component] ?? 0, p);
  }
  const dm = b.machine.total - a.machine.total;
  return { percent, busiestThread, machinePercent: dm > 0 ? ((b.machine.busy - a.machine.busy) / dm) * 100 : 0, cores: b.machine.cores };
}
