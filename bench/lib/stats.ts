export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

/** Nearest-rank percentiles of latencies in milliseconds. */
export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return { n: sorted.length, p50: at(50), p95: at(95), p99: at(99), mean };
}

/** Runs `fn` `warmup` times unmeasured, then `n` times measured, one after another. */
export async function measure(n: number, warmup: number, fn: (i: number) => Promise<void>): Promise<Summary> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}

/**
 * `total` calls of `fn` by `concurrency` callers, each starting its next call when its last one
 * ends (a closed loop): the latency of every call and the wall time of the whole run.
 */
export async function closedLoop(total: number, concurrency: number, fn: () => Promise<void>): Promise<{ latency: Summary; seconds: number }> {
  let next = 0;
  const samples: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const t = performance.now();
        await fn();
        samples.push(performance.now() - t);
      }
    }),
  );
  return { latency: summarize(samples), seconds: (performance.now() - started) / 1000 };
}

const fmt = (ms: number) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(2)).padStart(9);

/** Prints an aligned table; `ratio` is p50 relative to the row named as floor. */
export function printTable(title: string, rows: { name: string; s: Summary; floor?: Summary }[]): void {
  console.log(`\n${title}`);
  console.log(`${"scenario".padEnd(60)} ${"n".padStart(6)} ${"p50 ms".padStart(9)} ${"p95 ms".padStart(9)} ${"p99 ms".padStart(9)} ${"mean ms".padStart(9)} ${"x floor".padStart(8)}`);
  for (const { name, s, floor } of rows) {
    const ratio = floor ? (s.p50 / floor.p50).toFixed(2) + "x" : "floor";
    console.log(`${name.padEnd(60)} ${String(s.n).padStart(6)} ${fmt(s.p50)} ${fmt(s.p95)} ${fmt(s.p99)} ${fmt(s.mean)} ${ratio.padStart(8)}`);
  }
}
