import { INGEST_HEADERS } from "../../proto/tunnel.ts";
import { ConnectorError } from "./errors.ts";
import { JsonRows } from "./json-rows.ts";

/** Where an ingest stream's batches go (proto StreamIngest, resolved against the edge's origin). */
export interface IngestTarget {
  url: string;
  streamId: string;
  token: string;
  /** Rows gathered into one post (one transaction of the edge). */
  rowsPerPost: number;
}

/**
 * Posts in flight at once: the edge validates the next batch while Postgres writes the one
 * before (it commits them in order). More would only queue on the same database.
 */
const WINDOW = 2;
/** Bytes of JSON per post; the route takes up to 8 MiB, so a batch of big rows is split. */
const MAX_POST_BYTES = 4 * 1024 * 1024;
/** Tries of one post against network errors and 5xx before the stream fails (and its run resumes later). */
const ATTEMPTS = 6;
const BACKOFF_MS = [250, 500, 1_000, 2_000, 4_000];

/** The error body the edge sends (workers/errors.ts). */
interface EdgeError {
  error?: { code?: string; message?: string };
}

/**
 * Posts the batches of one sync stream to the edge's ingest route, numbered from 0, at most
 * WINDOW at once, acknowledged in order. A post whose answer was lost is sent again with the
 * same number (the edge answers "duplicate" if it committed it); one that overtook the batch
 * before it is sent again after that one. A refusal (bad rows, a stream the run no longer
 * drives) ends the stream with the edge's code and message.
 */
export class IngestPoster {
  private seq = 0;
  private posted: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private acknowledged = { batches: 0, rows: 0 };
  private readonly buffer = new JsonRows(MAX_POST_BYTES);

  constructor(
    private readonly target: IngestTarget,
    private readonly signal: AbortSignal,
    /** Called in stream order after each batch the edge has committed. */
    private readonly onCommitted: (batches: number, rows: number) => void,
  ) {}

  /**
   * Takes rows as the ERP yields them (its pages are small, so live calls get the ERP session
   * in between) and posts them in batches of `rowsPerPost` or MAX_POST_BYTES, whichever is
   * reached first. Waits while WINDOW posts are going; throws the first failure.
   */
  async add(rows: unknown[]): Promise<void> {
    for (const row of rows) {
      const json = JSON.stringify(row) ?? "null";
      if (this.buffer.full(json)) await this.flush();
      this.buffer.push(json);
      if (this.buffer.count >= this.target.rowsPerPost) await this.flush();
    }
  }

  /** Posts the rows gathered so far as the next batch. */
  private async flush(): Promise<void> {
    if (this.buffer.count === 0) return;
    const { rows, json: body } = this.buffer.take();
    while (this.inFlight.size >= WINDOW) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const seq = this.seq++;
    const sent = this.send(seq, body, this.posted).then(
      () => {
        this.acknowledged = { batches: this.acknowledged.batches + 1, rows: this.acknowledged.rows + rows };
        this.onCommitted(this.acknowledged.batches, this.acknowledged.rows);
      },
      (err: unknown) => {
        this.failure ??= err;
      },
    );
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
    this.posted = sent;
  }

  /** Posts what is left and waits for every post; resolves with the rows the edge committed. */
  async finish(): Promise<number> {
    this.throwIfFailed();
    await this.flush();
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    return this.acknowledged.rows;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** One batch until the edge has it; resolves only after `before` (acknowledgements stay in order). */
  private async send(seq: number, body: string, before: Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(this.target.url, {
          method: "POST", body, signal: this.signal,
          headers: { authorization: `Bearer ${this.target.token}`, "content-type": "application/json", [INGEST_HEADERS.stream]: this.target.streamId, [INGEST_HEADERS.seq]: String(seq) },
        });
      } catch (err) {
        if (this.signal.aborted) throw this.signal.reason;
        if (attempt >= ATTEMPTS) throw new ConnectorError("ingest_unreachable", `sync batch ${seq} could not be posted: ${String(err)}`, true);
        await this.pause(attempt);
        continue;
      }
      const answer = (await res.json().catch(() => ({}))) as EdgeError;
      if (res.ok) return before;
      const code = answer.error?.code ?? `http_${res.status}`;
      const message = answer.error?.message ?? `ingest answered ${res.status}`;
      if (code === "sync_batch_out_of_order" && attempt < ATTEMPTS) {
        // It overtook the batch before: post it again once that one is in.
        await before;
        continue;
      }
      if ((res.status >= 500 || res.status === 429) && attempt < ATTEMPTS) {
        await this.pause(attempt);
        continue;
      }
      // A 5xx that outlasted the retries may pass; a refusal will not.
      throw new ConnectorError(code, message, res.status >= 500);
    }
  }

  private pause(attempt: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length) - 1]));
  }
}
