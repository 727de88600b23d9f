/**
 * Rows gathered as the text of one JSON array, bounded in bytes: stream chunks on the tunnel and
 * ingest posts both send rows this way, each row stringified once.
 */
export class JsonRows {
  private rows: string[] = [];
  private bytes = 2;

  constructor(private readonly maxBytes: number) {}

  get count(): number {
    return this.rows.length;
  }

  /** Whether `json` no longer fits (a first row always fits, however large). */
  full(json: string): boolean {
    return this.rows.length > 0 && this.bytes + json.length + 1 > this.maxBytes;
  }

  push(json: string): void {
    this.rows.push(json);
    this.bytes += json.length + 1;
  }

  /** The array so far, and an empty one to go on with. */
  take(): { rows: number; json: string } {
    const out = { rows: this.rows.length, json: `[${this.rows.join(",")}]` };
    this.rows = [];
    this.bytes = 2;
    return out;
  }
}

/** Rows as JSON arrays of at most `maxBytes` (a single larger row goes alone). */
export function* partsOf(rows: unknown[], maxBytes: number): Generator<{ rows: number; json: string }> {
  const part = new JsonRows(maxBytes);
  for (const row of rows) {
    const json = JSON.stringify(row) ?? "null";
    if (part.full(json)) yield part.take();
    part.push(json);
  }
  if (part.count > 0) yield part.take();
}
