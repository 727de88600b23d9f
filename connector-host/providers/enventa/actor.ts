import { BusyError, CancelledError } from "../../runtime/errors.ts";

export type Priority = "live" | "background";

interface Task<S> {
  run: (resource: S) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  enqueuedAt: number;
}

export interface ActorStats {
  depth: number;
  running: number;
  completed: number;
  failed: number;
  rejectedBusy: number;
}

/**
 * The ADR's serial actor, per BusinessUnit: callers from anywhere enqueue work; one worker per
 * ERP session takes it out in order, live calls before background (sync) work, so the
 * non-thread-safe session is only ever used by one call at a time. The queue is bounded:
 * a full queue fails at once with BUSY instead of making callers wait without limit.
 */
export class SerialActor<S> {
  private readonly live: Task<S>[] = [];
  private readonly background: Task<S>[] = [];
  private running = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  readonly stats: ActorStats = { depth: 0, running: 0, completed: 0, failed: 0, rejectedBusy: 0 };

  constructor(
    readonly name: string,
    private readonly acquire: () => Promise<{ resource: S; release: (broken: boolean) => void }>,
    private readonly opts: { capacity: number; concurrency: number; isBroken?: (err: unknown) => boolean },
  ) {}

  get depth(): number {
    return this.live.length + this.background.length;
  }

  run<T>(fn: (resource: S) => Promise<T>, options: { priority?: Priority; signal?: AbortSignal } = {}): Promise<T> {
    if (this.closed) return Promise.reject(new CancelledError(`actor ${this.name} is shutting down`));
    if (this.depth >= this.opts.capacity) {
      this.stats.rejectedBusy++;
      return Promise.reject(new BusyError(this.name, this.opts.capacity));
    }
    if (options.signal?.aborted) return Promise.reject(new CancelledError("cancelled before it started"));
    return new Promise<T>((resolve, reject) => {
      const task: Task<S> = { run: fn, resolve: resolve as (v: unknown) => void, reject, signal: options.signal, enqueuedAt: Date.now() };
      (options.priority === "background" ? this.background : this.live).push(task);
      this.stats.depth = this.depth;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.opts.concurrency && this.depth > 0) {
      const task = (this.live.shift() ?? this.background.shift())!;
      this.stats.depth = this.depth;
      if (task.signal?.aborted) {
        task.reject(new CancelledError("cancelled while queued"));
        continue;
      }
      this.running++;
      this.stats.running = this.running;
      void this.execute(task);
    }
    if (this.running === 0 && this.depth === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async execute(task: Task<S>): Promise<void> {
    let lease: { resource: S; release: (broken: boolean) => void } | undefined;
    let broken = false;
    try {
      lease = await this.acquire();
      task.resolve(await task.run(lease.resource));
      this.stats.completed++;
    } catch (err) {
      broken = this.opts.isBroken?.(err) ?? false;
      this.stats.failed++;
      task.reject(err);
    } finally {
      lease?.release(broken);
      this.running--;
      this.stats.running = this.running;
      this.pump();
    }
  }

  /** Resolves when nothing is queued or running (used to drain on shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuses new work and fails what is still queued; running calls finish. */
  close(): void {
    this.closed = true;
    for (const t of [...this.live.splice(0), ...this.background.splice(0)]) t.reject(new CancelledError(`actor ${this.name} is shutting down`));
    this.stats.depth = 0;
    this.pump();
  }
}
