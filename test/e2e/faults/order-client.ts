import type { LiveTenant } from "../tenant-fixture.ts";
import { bounded, sleep } from "./harness.ts";

/** Articles 1000001..1000500 exist in every test tenant's simulated ERP. */
export const article = (i: number) => String(1_000_000 + i);
export const address = { name: "Müller Haustechnik GmbH", street: "Industriestraße 12", postalCode: "70565", city: "Stuttgart", country: "DE" };

export interface OrderOutcome {
  key: string;
  /** The gateway's order id once a request was accepted (201/202). */
  orderId?: string;
  attempts: number;
  /** Attempts that got no answer within the client's limit. */
  hung: number;
  /** Answers that were neither a success nor a clear error (code + message). */
  unclear: string[];
}

/** Worth retrying with the same key: the key is still running, or the edge/ERP could not answer now. */
const RETRYABLE = new Set([0, 409, 502, 503, 504]);

/**
 * A storefront placing one order the way a careful client does: one Idempotency-Key, retried
 * on every transient answer (and on no answer) until the gateway accepts it.
 */
export async function placeWithRetries(t: LiveTenant, customerToken: string, body: unknown, key: string, opts: { limitMs: number; maxAttempts?: number; retryDelayMs?: number }): Promise<OrderOutcome> {
  const out: OrderOutcome = { key, attempts: 0, hung: 0, unclear: [] };
  while (out.attempts < (opts.maxAttempts ?? 40)) {
    out.attempts++;
    const r = await bounded("/v1/orders", { method: "POST", json: body, token: t.apiKey, headers: { "x-customer-token": customerToken, "idempotency-key": key } }, opts.limitMs);
    if (r.hung) {
      out.hung++;
      continue;
    }
    if (r.status === 201 || r.status === 202) {
      out.orderId = r.body.orderId;
      return out;
    }
    if (r.status !== 0 && !(r.body?.error?.code && r.body?.error?.message)) out.unclear.push(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    if (!RETRYABLE.has(r.status)) {
      out.unclear.push(`not retryable: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      return out;
    }
    await sleep(opts.retryDelayMs ?? 200);
  }
  return out;
}
