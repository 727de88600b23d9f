import { CancelledError } from "./errors.ts";

/**
 * Credit-based flow control for one stream: the edge grants chunks, each chunk sent spends
 * one, and the sender waits (without polling) when none is left, so it never floods the edge.
 */
export class CreditGate {
  private waiter: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private closed: Error | undefined;

  constructor(private credit: number) {}

  grant(chunks: number): void {
    this.credit += chunks;
    if (this.credit > 0 && this.waiter) {
      this.waiter.resolve();
      this.waiter = undefined;
    }
  }

  /** Waits for one credit; an edge that grants nothing for `timeoutMs` has lost the stream. */
  async take(timeoutMs = 300_000): Promise<void> {
    if (this.closed) throw this.closed;
    if (this.credit <= 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          reject(new CancelledError(`no credit from the edge for ${timeoutMs} ms`));
        }, timeoutMs);
        this.waiter = {
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        };
      });
    }
    this.credit--;
  }

  close(reason: string): void {
    this.closed = new CancelledError(reason);
    this.waiter?.reject(this.closed);
    this.waiter = undefined;
  }
}
