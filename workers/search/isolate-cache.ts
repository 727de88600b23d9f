/**
 * A least-recently-used map with a size budget, for data an isolate keeps between requests
 * (it lives until the isolate is evicted). Values only, never promises: a promise resolved by
 * another request's I/O must not be awaited in this one (Workers).
 */
export class IsolateCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private bytes = 0;

  constructor(private readonly budget: number) {}

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The value, now the most recently used. */
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  /** Stores `value`, dropping the least recently used until the budget holds (the newest always stays). */
  set(key: string, value: V, bytes: number): void {
    const old = this.entries.get(key);
    if (old) this.bytes -= old.bytes;
    this.entries.delete(key);
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.budget || k === key) break;
      this.entries.delete(k);
      this.bytes -= e.bytes;
    }
  }
}
