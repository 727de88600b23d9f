import { readFileSync, writeFileSync } from "node:fs";

const NR = "/proc/sys/vm/nr_hugepages";
const PAGE_BYTES = 2 * 2 ** 20;

/** Huge pages set aside for a Postgres's shared memory, given back with `release`. */
export interface HugePageReservation {
  pages: number;
  release(): void;
}

const freeHugePages = () => {
  const info = readFileSync("/proc/meminfo", "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(info)?.[1] ?? 0);
  return field("HugePages_Free") - field("HugePages_Rsvd");
};

/**
 * Sets aside enough 2 MB pages for `bytes` of shared memory (shared buffers plus 10% for
 * Postgres's other shared structures), or undefined where that is not possible (not root, or the
 * kernel cannot find the memory). Why: with 4 KB pages every new backend maps each shared
 * buffer it touches afresh, two page faults per 8 KB buffer, and a query over 24k pages pays
 * ~100 ms for it the first time in each backend; with huge pages it is 512 times fewer faults.
 */
export function reserveHugePages(bytes: number): HugePageReservation | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let before: number;
  try {
    before = Number(readFileSync(NR, "utf8").trim());
  } catch {
    return undefined;
  }
  const pages = Math.ceil((bytes * 1.1) / PAGE_BYTES);
  const release = () => {
    try {
      writeFileSync(NR, String(before));
    } catch {
      /* best effort: the pages stay reserved until the next reservation or a reboot */
    }
  };
  try {
    // Pages already set aside and unused (a run that died before giving them back) count too.
    const ask = () => writeFileSync(NR, String(before + Math.max(0, pages - freeHugePages())));
    ask();
    if (freeHugePages() < pages) {
      // The kernel needs free, unbroken 2 MB runs and may give up early when memory is mostly page
      // cache or fragmented (seen: a bench run got none of them, a try by hand minutes later all).
      // Clean cache is dropped and free memory compacted into 2 MB runs, then it is asked again.
      release();
      writeFileSync("/proc/sys/vm/drop_caches", "1");
      writeFileSync("/proc/sys/vm/compact_memory", "1");
      ask();
    }
  } catch {
    return undefined;
  }
  if (freeHugePages() < pages) {
    release();
    return undefined;
  }
  return { pages, release };
}

/** Bytes of a Postgres size setting such as "4GB" or "512MB". */
export function settingBytes(size: string): number {
  const m = /^(\d+)\s*(kB|MB|GB|TB)$/.exec(size);
  if (!m) throw new Error(`not a Postgres size: ${size}`);
  return Number(m[1]) * { kB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30, TB: 2 ** 40 }[m[2] as "kB" | "MB" | "GB" | "TB"];
}
