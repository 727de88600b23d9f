/**
 * Runs each scenario once per round, rotating which goes first, so drift on a shared machine
 * (other processes, GC, a warming JIT) falls on all scenarios alike and paired differences
 * compare requests made moments apart. `warmup` rounds are run unmeasured. Returns the
 * latencies in milliseconds per scenario, in round order (sample i of each is from round i).
 */
export async function measureInterleaved<K extends string>(rounds: number, warmup: number, scenarios: Record<K, (round: number) => Promise<void>>): Promise<Record<K, number[]>> {
  const names = Object.keys(scenarios) as K[];
  const samples = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < warmup + rounds; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length]!;
      const t = performance.now();
      await scenarios[name](round);
      if (round >= warmup) samples[name].push(performance.now() - t);
    }
  }
  return samples;
}

/** Per-round differences `b[i] - a[i]` (what b adds over a, measured moments apart). */
export function pairedDifferences(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`paired samples differ in length: ${a.length} vs ${b.length}`);
  return a.map((x, i) => b[i]! - x);
}
