/**
 * Runs chunk writes concurrently (up to `depth` at once) while their commits stay in stream
 * order: each write gets the promise of the previous write's commit and must wait for it
 * before it moves the checkpoint and commits. So the database works on the next chunk while
 * the object validates the one after it, yet a checkpoint never passes an uncommitted chunk:
 * after any crash the checkpoint covers only rows that are in, and the rest is replayed.
 */
export class OrderedWrites {
  private readonly inFlight = new Set<Promise<void>>();
  private lastCommit: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(private readonly depth: number) {}

  /** Starts a write once a slot is free; throws the first failure of an earlier write. */
  async push(write: (previousCommitted: Promise<void>) => Promise<void>): Promise<void> {
    while (this.inFlight.size >= this.depth) await Promise.race(this.inFlight).catch(() => {});
    this.throwIfFailed();
    const committed = write(this.lastCommit);
    // A failed write fails every later one (they wait on it) and the stage; remember the first.
    const settled = committed.then(
      () => undefined,
      (err: unknown) => {
        this.failure ??= err;
      },
    );
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
    this.lastCommit = committed;
  }

  /** Waits for every write started so far; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
