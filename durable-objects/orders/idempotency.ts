import type { OrderReceipt } from "./types.ts";

/** Keys are kept at least this long after first use (Stripe keeps 24 h; so do we, at least). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3600_000;

export type Claim =
  /** First use of the key: a record now exists (in progress) for `orderId`. */
  | { kind: "new" }
  /** The key's request finished: its receipt is the answer. */
  | { kind: "replay"; receipt: OrderReceipt }
  /** The key's first request has not finished (or its object died before it could). */
  | { kind: "in_progress"; orderId: string }
  /** The key was used with a different request body. */
  | { kind: "mismatch" };

type Row = {
  fingerprint: string;
  order_id: string;
  receipt: string | null;
};

/**
 * Idempotency keys of order creation, in the TenantSession's SQLite: the object serializes all
 * of a tenant's requests, so check-and-claim is atomic without locks, and the records survive
 * eviction and restarts. A key is scoped to the tenant (one object per tenant) and the customer:
 * two customers may use the same key without seeing each other's orders.
 */
export class IdempotencyKeys {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      customer_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, order_id TEXT NOT NULL, receipt TEXT,
      created_at INTEGER NOT NULL, PRIMARY KEY (customer_id, key))`);
    sql.exec(`CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at)`);
  }

  /** Looks the key up and claims it for `orderId` if it is new (synchronous: nothing interleaves). */
  claim(customerId: string, key: string, fingerprint: string, orderId: string, now: number): Claim {
    const seen = this.peek(customerId, key, fingerprint);
    if (seen) return seen;
    this.sql.exec(`INSERT INTO idempotency_keys (customer_id, key, fingerprint, order_id, created_at) VALUES (?, ?, ?, ?, ?)`, customerId, key, fingerprint, orderId, now);
    return { kind: "new" };
  }

  /** What a key holds, without claiming it; undefined when unused (or expired). */
  peek(customerId: string, key: string, fingerprint: string): Exclude<Claim, { kind: "new" }> | undefined {
    const r = this.sql.exec<Row>(`SELECT fingerprint, order_id, receipt FROM idempotency_keys WHERE customer_id = ? AND key = ?`, customerId, key).toArray()[0];
    if (!r) return undefined;
    if (r.fingerprint !== fingerprint) return { kind: "mismatch" };
    if (r.receipt) return { kind: "replay", receipt: JSON.parse(r.receipt) as OrderReceipt };
    return { kind: "in_progress", orderId: r.order_id };
  }

  /** Stores the answer; the first stored answer wins, later ones are ignored. */
  complete(customerId: string, key: string, receipt: OrderReceipt): OrderReceipt {
    this.sql.exec(`UPDATE idempotency_keys SET receipt = ? WHERE customer_id = ? AND key = ? AND receipt IS NULL`, JSON.stringify(receipt), customerId, key);
    const stored = this.sql.exec<{ receipt: string | null }>(`SELECT receipt FROM idempotency_keys WHERE customer_id = ? AND key = ?`, customerId, key).toArray()[0]?.receipt;
    return stored ? (JSON.parse(stored) as OrderReceipt) : receipt;
  }

  prune(now: number): number {
    return this.sql.exec(`DELETE FROM idempotency_keys WHERE created_at < ?`, now - IDEMPOTENCY_RETENTION_MS).rowsWritten;
  }
}

/** Canonical JSON (keys sorted at every level): equal requests give equal text, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 of the validated request: "same body" means the same order, not the same bytes. */
export async function fingerprintOf(request: unknown): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(request)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
