import { readFileSync } from "node:fs";

/** Linux pressure stall totals (µs since boot) of one resource: some task stalled, all stalled. */
interface Stall {
  some: number;
  full: number;
}
export type Pressure = Record<"cpu" | "io" | "memory", Stall>;

function readStall(resource: keyof Pressure): Stall {
  try {
    const text = readFileSync(`/proc/pressure/${resource}`, "utf8");
    const total = (kind: string) => Number(new RegExp(`^${kind} .*total=(\\d+)`, "m").exec(text)?.[1] ?? Number.NaN);
    return { some: total("some"), full: total("full") };
  } catch {
    return { some: Number.NaN, full: Number.NaN }; // no PSI in this kernel
  }
}

/** The machine's pressure stall counters now (/proc/pressure). */
export const readPressure = (): Pressure => ({ cpu: readStall("cpu"), io: readStall("io"), memory: readStall("memory") });

/**
 * Share of the wall time between two readings in which some task waited for each resource (a
 * runnable task for a core, a task for I/O, a task for memory reclaim), in percent: what a
 * stalled live call waited for while the machine was loaded.
 */
export function pressureBetween(a: Pressure, b: Pressure, seconds: number): Record<keyof Pressure, number> {
  const pct = (k: keyof Pressure) => ((b[k].some - a[k].some) / 1e6 / seconds) * 100;
  return { cpu: pct("cpu"), io: pct("io"), memory: pct("memory") };
}
