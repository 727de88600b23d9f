import { hashString, mix32, Rng } from "./prng.ts";
import type { ErpCustomer, ErpPrice, ErpStock, QuantityBreak } from "./types.ts";
import { COMPANY_NAMES, COMPANY_WORDS, LEGAL_FORMS, WAREHOUSES } from "./vocabulary.ts";

/** Customer ids are K10001, K10002, ... */
export const CUSTOMER_ID_OFFSET = 10_000;
export const customerIdOf = (index: number) => `K${CUSTOMER_ID_OFFSET + index}`;
export function indexOfCustomerId(id: string, customerCount: number): number | undefined {
  const m = /^K(\d+)$/.exec(id);
  if (!m) return undefined;
  const i = Number(m[1]) - CUSTOMER_ID_OFFSET;
  return i >= 1 && i <= customerCount ? i : undefined;
}

export function generateCustomer(seed: number, index: number): ErpCustomer {
  const r = new Rng(mix32(seed, index, 20));
  return {
    customerId: customerIdOf(index),
    name: `${r.pick(COMPANY_NAMES)} ${r.pick(COMPANY_WORDS)} ${r.pick(LEGAL_FORMS)}`,
    priceGroup: `PG${1 + r.int(5)}`,
    discountPercent: r.int(16),
    // A few customers are blocked (credit limit, dunning): orders are rejected for them.
    blocked: index % 41 === 0,
    currency: "EUR",
    paymentTerms: r.pick(["30 Tage netto", "14 Tage 2% Skonto, 30 Tage netto", "Vorkasse"]),
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The customer's price for an article: a price agreement (for about one article in ten) or the
 * list price less the customer's discount, then quantity breaks (1 / 10 / 100 / 1000).
 */
export function customerPrice(seed: number, customer: ErpCustomer, articleId: string, listPrice: number, quantity: number): ErpPrice {
  const h = mix32(seed, hashString(customer.customerId), hashString(articleId), 21);
  const agreement = h % 10 === 0;
  const base = agreement ? listPrice * (0.65 + (h % 20) / 100) : listPrice * (1 - customer.discountPercent / 100);
  const spread = ((h >>> 8) % 4) / 100;
  const factors = [1, 0.97 - spread, 0.92 - spread, 0.88 - spread];
  const quantityBreaks: QuantityBreak[] = [1, 10, 100, 1000].map((minQuantity, k) => ({ minQuantity, unitPrice: round2(Math.max(0.01, base * factors[k]!)) }));
  const applicable = quantityBreaks.filter((b) => quantity >= b.minQuantity).at(-1) ?? quantityBreaks[0]!;
  return {
    articleId,
    quantity,
    currency: "EUR",
    listPrice,
    unitPrice: applicable.unitPrice,
    agreement,
    discountPercent: agreement ? 0 : customer.discountPercent,
    quantityBreaks,
  };
}

/** Base stock per warehouse; about one article in ten is out of stock in a warehouse. */
export function baseStock(seed: number, articleId: string): Map<string, number> {
  const out = new Map<string, number>();
  WAREHOUSES.forEach((w, k) => {
    const h = mix32(seed, hashString(articleId), k, 22);
    out.set(w.id, h % 10 === 0 ? 0 : h % 500);
  });
  return out;
}

export function stockView(articleId: string, quantities: Map<string, number>): ErpStock {
  const warehouses = WAREHOUSES.map((w) => ({ warehouseId: w.id, name: w.name, quantity: quantities.get(w.id) ?? 0 }));
  return { articleId, warehouses, total: warehouses.reduce((a, w) => a + w.quantity, 0) };
}
