import { setTimeout as sleep } from "node:timers/promises";
import { Mutex } from "./mutex.ts";

/** How often a thread whose turn it is looks again while another thread holds the lock. */
const POLL_MS = 10;

/**
 * A mutex that holds across worker threads: one word of shared memory says whether some thread
 * holds it. Callers of one thread queue in FIFO order (a plain `Mutex`); the one whose turn it is
 * takes the word, polling while another thread has it. Meant for rare, slow sections (an ERP
 * login takes seconds), not for hot paths.
 */
export class SharedMutex {
  private word = new Int32Array(new SharedArrayBuffer(4));
  private readonly local = new Mutex();

  /** The shared word, to hand to a worker thread (`adopt` there). */
  get buffer(): SharedArrayBuffer {
    return this.word.buffer as SharedArrayBuffer;
  }

  /** In a worker thread, before first use: lock on the word another thread handed over. */
  adopt(buffer: SharedArrayBuffer): void {
    this.word = new Int32Array(buffer, 0, 1);
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.local.run(async () => {
      while (Atomics.compareExchange(this.word, 0, 0, 1) !== 0) await sleep(POLL_MS);
      try {
        return await fn();
      } finally {
        Atomics.store(this.word, 0, 0);
      }
    });
  }
}
