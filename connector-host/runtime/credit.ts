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

  async take(): Promise<void> {
    if (this.closed) throw this.closed;
    if (this.credit <= 0) {
      await new Promise<void>((resolve, reject) => {
        this.waiter = { resolve, reject };
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
