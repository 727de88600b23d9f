import { randomUUID } from "node:crypto";
import { seededRandom } from "../../connector-host/simulator/prng.ts";
import { type Summary, summarize } from "./stats.ts";

/** What a load run needs to know about the tenant it drives (all of it from provisioning). */
export interface LoadTarget {
  baseUrl: string;
  apiKey: string;
  /** Customer tokens to spread details+price and orders over. */
  customerTokens: string[];
  /** Synced article ids (details, order lines). */
  articleIds: string[];
  /** Search terms (words of the synced article names). */
  searchTerms: string[];
}

export type RequestKind = "search" | "details" | "order";
/** The storefront mix of issue #10: search 70 %, details + live price 25 %, orders 5 %. */
export const MIX: Record<RequestKind, number> = { search: 0.7, details: 0.25, order: 0.05 };

/**
 * The mix as a fixed cycle of 20 requests (14 search, 5 details, 1 order), taken in turn by
 * whichever caller is free: every 20 requests hold exactly the mix, so even a short run has
 * its orders (a random draw could leave a 3-second CI run without one).
 */
const CYCLE: RequestKind[] = [..."SSDSOSSDSSSDSSDSSSDS"].map((k) => (k === "S" ? "search" : k === "D" ? "details" : "order"));
for (const kind of Object.keys(MIX) as RequestKind[]) {
  if (CYCLE.filter((k) => k === kind).length !== MIX[kind] * CYCLE.length) throw new Error(`load cycle does not hold the ${kind} share`);
}

export interface StepResult {
  concurrency: number;
  seconds: number;
  requests: number;
  rps: number;
  errors: number;
  errorRate: number;
  /** A few error samples (status and body start), for the report. */
  errorSamples: string[];
  latency: Summary;
  byKind: Record<RequestKind, Summary>;
  /** Orders the edge accepted (201 created or 202 queued), by gateway order id. */
  acceptedOrders: string[];
  searchCacheHits: number;
}


const address = { name: "Müller Haustechnik GmbH", street: "Industriestraße 12", postalCode: "70565", city: "Stuttgart", country: "DE" };

/**
 * `concurrency` callers, each sending the next request of the mix as soon as its last one
 * answered, for `durationMs`; then it waits for the requests in flight (bounded by their own
 * deadlines) and returns. Loopback only: the target is the local stack.
 */
export async function runStep(target: LoadTarget, concurrency: number, durationMs: number, seed = 1): Promise<StepResult> {
  const random = seededRandom(seed); // repeatable runs
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const lat: number[] = [];
  const kinds: Record<RequestKind, number[]> = { search: [], details: [], order: [] };
  const errorSamples: string[] = [];
  const acceptedOrders: string[] = [];
  let errors = 0;
  let hits = 0;
  const auth = { authorization: `Bearer ${target.apiKey}` };

  async function one(kind: RequestKind): Promise<void> {
    const t0 = performance.now();
    let res: Response | undefined;
    let body = "";
    try {
      if (kind === "search") {
        const q = encodeURIComponent(pick(target.searchTerms));
        res = await fetch(`${target.baseUrl}/v1/catalog/search?q=${q}&limit=20${random() < 0.3 ? "&facets=brand" : ""}`, { headers: auth });
        if (res.headers.get("x-search-cache") === "hit") hits++;
      } else if (kind === "details") {
        const id = pick(target.articleIds);
        res = await fetch(`${target.baseUrl}/v1/catalog/articles/${id}?include=price&quantity=${1 + Math.floor(random() * 20)}`, { headers: { ...auth, "x-customer-token": pick(target.customerTokens) } });
      } else {
        const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({ articleId: pick(target.articleIds), quantity: 1 + Math.floor(random() * 9) }));
        res = await fetch(`${target.baseUrl}/v1/orders`, {
          method: "POST",
          headers: { ...auth, "x-customer-token": pick(target.customerTokens), "idempotency-key": randomUUID(), "content-type": "application/json" },
          body: JSON.stringify({ lines, deliveryAddress: address, customerReference: `LOAD-${seed}` }),
        });
      }
      body = await res.text();
    } catch (err) {
      body = String(err);
    }
    const ms = performance.now() - t0;
    lat.push(ms);
    kinds[kind].push(ms);
    const ok = res !== undefined && (res.status === 200 || (kind === "order" && (res.status === 201 || res.status === 202)));
    if (!ok) {
      errors++;
      if (errorSamples.length < 5) errorSamples.push(`${kind} ${res?.status ?? "network"} ${body.slice(0, 160)}`);
    } else if (kind === "order") {
      acceptedOrders.push((JSON.parse(body) as { orderId: string }).orderId);
    }
  }

  const started = performance.now();
  const end = started + durationMs;
  let turn = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) await one(CYCLE[turn++ % CYCLE.length]!);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    concurrency, seconds, requests: lat.length, rps: lat.length / seconds, errors, errorRate: lat.length ? errors / lat.length : 0, errorSamples,
    latency: summarize(lat), byKind: { search: summarize(kinds.search), details: summarize(kinds.details), order: summarize(kinds.order) },
    acceptedOrders, searchCacheHits: hits,
  };
}
