import type { TenantConfig } from "../../schema/tenant-config.ts";
import type { CallDispatcher } from "../calls/dispatcher.ts";
import { LiveCallError } from "../errors.ts";
import type { LiveCache } from "./cache.ts";
import { Coalescer } from "./coalescer.ts";
import type { CallOrigin } from "../calls/origin.ts";

export interface PriceItem {
  articleId: string;
  quantity: number;
}

/** One answered item: from the ERP or the cache, fresh or (degraded mode) stale with its age. */
export type ItemAnswer<T> =
  | ({ status: "ok"; source: "erp" | "cache"; stale: boolean; ageSeconds: number } & T)
  | { status: "not_found" }
  | { status: "unavailable" };

interface ErpPrice {
  articleId: string;
  quantity: number;
  currency: string;
  listPrice: number;
  unitPrice: number;
  agreement: boolean;
  discountPercent: number;
  quantityBreaks: { minQuantity: number; unitPrice: number }[];
}
interface ErpStock {
  articleId: string;
  warehouses: { warehouseId: string; name: string; quantity: number }[];
  total: number;
}

const priceKey = (i: PriceItem) => `${i.articleId}|${i.quantity}`;
/** Errors that mean "the ERP could not be asked", where degraded mode may answer instead. */
const UNREACHABLE = new Set(["connector_offline", "connector_disconnected", "deadline_exceeded"]);

/**
 * Live ERP data for the storefront: cache first (tenant TTLs), then coalesced bulk calls through
 * the dispatcher, and, when no connector can answer and the tenant allows it, the last known
 * customer-specific value marked stale with its age.
 */
export class LiveServices {
  readonly prices: Coalescer<PriceItem, ErpPrice>;
  readonly stockLookups: Coalescer<string, ErpStock>;

  constructor(
    private readonly dispatcher: CallDispatcher,
    private readonly cache: LiveCache,
    private readonly config: () => TenantConfig,
  ) {
    this.prices = new Coalescer<PriceItem, ErpPrice>(priceKey, (customerId, take, origin) => this.fetchPrices(origin, customerId, take), 1000);
    this.stockLookups = new Coalescer<string, ErpStock>((id) => id, (_scope, take, origin) => this.fetchStock(origin, take), 1000);
  }

  private bu(): string {
    return this.config().erpProvider.businessUnits[0]!;
  }

  /** A coalesced call carries the request id and trace of the lookup that opened its batch. */
  private submit(origin: CallOrigin, operation: string, payload: () => unknown): Promise<unknown> {
    const live = this.config().live;
    return this.dispatcher.submit({ operation, businessUnit: this.bu(), payload, safe: true, priority: "live", deadlineMs: live.callDeadlineMs, ...origin });
  }

  private async fetchPrices(origin: CallOrigin, customerId: string, take: () => PriceItem[]): Promise<Map<string, ErpPrice>> {
    await this.window();
    const out = (await this.submit(origin, "erp.prices", () => ({ customerId, items: take() }))) as { customer: unknown; prices: ErpPrice[] };
    if (!out.customer) throw new LiveCallError("not_found", `customer '${customerId}' is not known to the ERP`);
    return new Map(out.prices.map((p) => [priceKey(p), p]));
  }

  private async fetchStock(origin: CallOrigin, take: () => string[]): Promise<Map<string, ErpStock>> {
    await this.window();
    const out = (await this.submit(origin, "erp.stock", () => ({ articleIds: take() }))) as ErpStock[];
    return new Map(out.map((s) => [s.articleId, s]));
  }

  /** Optional short wait so lookups arriving together share one ERP call even when idle. */
  private async window(): Promise<void> {
    const ms = this.config().live.coalesceWindowMs;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }

  async getPrices(origin: CallOrigin, customerId: string, items: PriceItem[]): Promise<ItemAnswer<ErpPrice>[]> {
    const cfg = this.config();
    const fetch = cfg.live.coalesce ? (missing: PriceItem[]) => this.prices.lookup(customerId, missing, origin) : (missing: PriceItem[]) => this.fetchPrices(origin, customerId, () => missing);
    return this.cached("price", customerId, items, priceKey, (i) => i.articleId, cfg.cache.pricesTtlSeconds * 1000, fetch);
  }

  async getStock(origin: CallOrigin, articleIds: string[]): Promise<ItemAnswer<ErpStock>[]> {
    const cfg = this.config();
    const fetch = cfg.live.coalesce ? (missing: string[]) => this.stockLookups.lookup("*", missing, origin) : (missing: string[]) => this.fetchStock(origin, () => missing);
    return this.cached("stock", "*", articleIds, (id) => id, (id) => id, cfg.cache.stockTtlSeconds * 1000, fetch);
  }

  /** Cache, then the ERP for what is missing or stale, then degraded mode if the ERP is unreachable. */
  private async cached<I, R extends object>(
    kind: string, scope: string, items: I[], keyOf: (i: I) => string, articleOf: (i: I) => string, ttlMs: number,
    fetch: (missing: I[]) => Promise<Map<string, R>>,
  ): Promise<ItemAnswer<R>[]> {
    const now = Date.now();
    const keys = items.map(keyOf);
    const hit = this.cache.get<R>(kind, scope, keys, ttlMs, now);
    const missing = items.filter((i) => !hit.get(keyOf(i))?.fresh);
    this.cache.count(items.length - missing.length, missing.length);
    let fetched = new Map<string, R>();
    let unreachable: LiveCallError | undefined;
    if (missing.length > 0) {
      try {
        fetched = await fetch(missing);
        this.cache.put(kind, scope, missing.filter((i) => fetched.has(keyOf(i))).map((i) => ({ item: keyOf(i), articleId: articleOf(i), value: fetched.get(keyOf(i)) })), Date.now());
        this.cache.prune(this.config().live.maxStaleSeconds * 1000 + ttlMs);
      } catch (err) {
        if (!(err instanceof LiveCallError) || !UNREACHABLE.has(err.code) || !this.config().live.serveStaleWhenOffline) throw err;
        unreachable = err;
      }
    }
    const maxStaleMs = this.config().live.maxStaleSeconds * 1000;
    const answers = items.map((i): ItemAnswer<R> => {
      const key = keyOf(i);
      const c = hit.get(key);
      if (c?.fresh) return { status: "ok", source: "cache", stale: false, ageSeconds: Math.round((now - c.fetchedAt) / 1000), ...c.value };
      const f = fetched.get(key);
      if (f) return { status: "ok", source: "erp", stale: false, ageSeconds: 0, ...f };
      if (unreachable && c && now - c.fetchedAt <= maxStaleMs) return { status: "ok", source: "cache", stale: true, ageSeconds: Math.round((now - c.fetchedAt) / 1000), ...c.value };
      return unreachable ? { status: "unavailable" } : { status: "not_found" };
    });
    if (unreachable && answers.every((a) => a.status !== "ok")) throw unreachable;
    return answers;
  }

  async customer(origin: CallOrigin, customerId: string): Promise<unknown> {
    const ttl = this.config().cache.pricesTtlSeconds * 1000;
    const hit = this.cache.get<unknown>("customer", customerId, [customerId], ttl).get(customerId);
    if (hit?.fresh) return hit.value;
    const value = await this.submit(origin, "erp.customer", () => ({ customerId }));
    if (!value) throw new LiveCallError("not_found", `customer '${customerId}' is not known to the ERP`);
    this.cache.put("customer", customerId, [{ item: customerId, articleId: customerId, value }]);
    return value;
  }

  /** An order's live status, only if it belongs to the customer (else not found: no leak). */
  async order(origin: CallOrigin, customerId: string, ref: { orderNo?: string; externalRef?: string }): Promise<{ customerId: string } & Record<string, unknown>> {
    const key = ref.orderNo ?? `ref:${ref.externalRef}`;
    const ttl = this.config().cache.orderStatusTtlSeconds * 1000;
    const hit = this.cache.get<{ customerId: string } & Record<string, unknown>>("order", customerId, [key], ttl).get(key);
    if (hit?.fresh) return hit.value;
    const order = (await this.submit(origin, "erp.order.get", () => ref)) as ({ customerId: string; orderNo: string } & Record<string, unknown>) | null;
    if (!order || order.customerId !== customerId) throw new LiveCallError("not_found", "order not found");
    this.cache.put("order", customerId, [{ item: key, articleId: order.orderNo, value: order }]);
    return order;
  }

  /** Applies an ERP event pushed by a connector: changed prices, stock or orders are refetched. */
  onEvent(kind: string, payload: { articleIds?: string[]; orderNos?: string[] }): number {
    if (kind === "article_changed" || kind === "price_changed") return this.cache.invalidate("price", payload.articleIds ?? []);
    if (kind === "stock_changed") return this.cache.invalidate("stock", payload.articleIds ?? []);
    if (kind === "order_changed") return this.cache.invalidate("order", payload.orderNos ?? []);
    return 0;
  }
}
