import { execFileSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";

/** What the calling thread now runs at: `idle` (SCHED_IDLE), `nice 19`, or `normal` (unchanged). */
export type ThreadPriority = "idle" | "nice 19" | "normal";

/** A thread's priority as it set it: with its kernel thread id (Linux), and why it is not lower. */
export interface PriorityTaken {
  priority: ThreadPriority;
  tid?: number;
  reason?: string;
}

/**
 * Lowers the calling thread, and only it, so that any thread of normal priority on this host
 * (the connector's main thread answering live calls, the ERP itself) takes the CPU from it the
 * moment it wakes. Measured in a sync's full run (`perf sched`, 200k articles): most of the
 * time a live call's thread waited for a CPU, the CPU was running this thread's batch work.
 *
 * SCHED_IDLE first (`chrt`): a waking normal task preempts an idle-policy task at once, across
 * processes and session groups, and a CPU running only such tasks counts as free when the
 * scheduler places a waking task. Nice alone would not do it: with autogroups a thread's nice
 * only ranks it within its own process's session group. Linux only: on Windows `os.setPriority`
 * sets the whole process's priority class, which would lower live calls with it.
 */
export function yieldToLiveWork(): PriorityTaken {
  if (process.platform !== "linux") return { priority: "normal", reason: `not lowered on ${process.platform}` };
  const tid = currentThreadId();
  if (tid === undefined) return { priority: "normal", reason: "/proc/thread-self is not readable" };
  try {
    execFileSync("chrt", ["--idle", "--pid", "0", String(tid)], { stdio: "ignore", timeout: 5_000 });
    return { priority: "idle", tid };
  } catch (err) {
    try {
      // On Linux setpriority() on a thread id changes that thread only.
      setPriority(tid, 19);
      return { priority: "nice 19", tid, reason: `chrt --idle failed: ${(err as Error).message}` };
    } catch (err2) {
      return { priority: "normal", tid, reason: `neither chrt --idle nor nice worked: ${(err2 as Error).message}` };
    }
  }
}

/** Why a thread runs at normal priority when the connector's config asked for it. */
export const NOT_LOWERED = "syncPriority is normal";

/** The calling thread as it is, for a connector configured with `syncPriority: "normal"`. */
export function keepNormalPriority(): PriorityTaken {
  const tid = currentThreadId();
  return { priority: "normal", ...(tid !== undefined && { tid }), reason: NOT_LOWERED };
}

/** The kernel's id of the calling thread (`/proc/thread-self` → `<pid>/task/<tid>`). */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}
