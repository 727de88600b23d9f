import { SessionExpiredError } from "../../simulator/errors.ts";
import { MAX_IN_VALUES } from "../../simulator/query.ts";
import type { EnventaSession } from "../../simulator/session.ts";
import type { ErpDatabase } from "../../simulator/store.ts";
import type { ErpArticle, ErpAttribute, SyncEntity } from "../../simulator/types.ts";
import { ConnectorError } from "../../runtime/errors.ts";
import type { BatchResult, OrderRequest, OrderResult, Provider, ProviderInfo, TenantContext } from "../contracts.ts";
import type { QueryDescriptor } from "../descriptor.ts";
import { mergeResults, needsAttributes, planDescriptor, residualHolds } from "../translate.ts";
import { SerialActor } from "./actor.ts";
import { SessionPool } from "./session-pool.ts";

/**
 * Rows per ERP read during a sync: an article with its Merkmale is ~2 KB and ~20 µs to read, so a
 * live call queued behind a read waits ~1 ms (250 rows: p99 of live prices during a full sync
 * 28.6 ms; 64 rows: 18.8 ms, with the full run 6% faster; `npm run bench -- sync --articles 200000`).
 */
const SYNC_READ_PAGE = 64;

export interface EnventaProviderOptions {
  businessUnits: string[];
  /** ERP sessions per BusinessUnit (each one call at a time). */
  sessionsPerUnit: number;
  queueCapacity: number;
  keepAliveMs: number;
  idleReleaseMs: number;
  user: string;
}

export const ENVENTA_INFO: ProviderInfo = {
  name: "enventa",
  version: "1.0.0",
  kinds: ["erp", "crm", "pim"],
  capabilities: [
    "erp.prices", "erp.stock", "erp.customer", "erp.order.get", "erp.orders.list", "erp.order.create",
    "crm.contact", "pim.article", "pim.articles.query", "pim.categories", "pim.changes", "pim.horizon",
  ],
};

interface Unit {
  pool: SessionPool;
  actor: SerialActor<EnventaSession>;
}

const chunk = <T>(items: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/**
 * The enventa provider: every ERP call of a BusinessUnit goes through that unit's serial actor
 * onto a pooled, logged-in session; lists are split into IN blocks of 1,000, OR filters into
 * several queries, and long reads into batches so live calls can run in between.
 */
export class EnventaProvider implements Provider {
  readonly info = ENVENTA_INFO;
  private readonly units = new Map<string, Unit>();
  private readonly timer: NodeJS.Timeout;

  constructor(erp: ErpDatabase, private readonly opts: EnventaProviderOptions) {
    for (const bu of opts.businessUnits) {
      const pool = new SessionPool(erp, { businessUnit: bu, user: opts.user }, { size: opts.sessionsPerUnit, idleReleaseMs: opts.idleReleaseMs });
      const actor = new SerialActor<EnventaSession>(bu, () => pool.acquire(), {
        capacity: opts.queueCapacity,
        concurrency: opts.sessionsPerUnit,
        isBroken: (err) => err instanceof SessionExpiredError,
      });
      this.units.set(bu, { pool, actor });
    }
    this.timer = setInterval(() => this.maintain(), Math.max(50, Math.min(opts.keepAliveMs, opts.idleReleaseMs / 4)));
    this.timer.unref();
  }

  private lastPing = Date.now();

  /** Keep-alive pings (through the actor, as background work) and release after inactivity. */
  private maintain(): void {
    const ping = Date.now() - this.lastPing >= this.opts.keepAliveMs;
    if (ping) this.lastPing = Date.now();
    for (const [, unit] of this.units) {
      if (unit.pool.shouldRelease()) {
        if (unit.actor.depth === 0 && unit.actor.stats.running === 0) unit.pool.releaseIdle();
      } else if (ping && unit.pool.holdsSessions) {
        unit.actor.run((s) => s.ping(), { priority: "background" }).catch(() => {});
      }
    }
  }

  private unit(bu: string): Unit {
    const u = this.units.get(bu);
    if (!u) throw new ConnectorError("unknown_business_unit", `BusinessUnit '${bu}' is not served by this connector`);
    return u;
  }

  /** One actor task; a session the ERP expired or dropped is replaced and the call tried once more. */
  private async exec<T>(ctx: TenantContext, fn: (s: EnventaSession) => Promise<T>): Promise<T> {
    const { actor, pool } = this.unit(ctx.businessUnit);
    pool.touch();
    const options = { priority: ctx.priority ?? "live", ...(ctx.signal && { signal: ctx.signal }) } as const;
    try {
      return await actor.run(fn, options);
    } catch (err) {
      if (err instanceof SessionExpiredError) return actor.run(fn, options);
      throw err;
    }
  }

  async warmUp(): Promise<void> {
    for (const { pool } of this.units.values()) await pool.warmUp();
  }

  // ---- ERP ----

  async getPrices(ctx: TenantContext, req: { customerId: string; items: { articleId: string; quantity: number }[] }) {
    let customer = null;
    const prices = [];
    for (const block of chunk(req.items, MAX_IN_VALUES)) {
      const r = await this.exec(ctx, (s) => s.prices(req.customerId, block));
      customer = r.customer;
      if (!customer) break;
      prices.push(...r.prices);
    }
    if (req.items.length === 0) customer = await this.exec(ctx, (s) => s.customer(req.customerId));
    return { customer, prices };
  }

  async getStock(ctx: TenantContext, articleIds: string[]) {
    const out = [];
    for (const block of chunk(articleIds, MAX_IN_VALUES)) out.push(...(await this.exec(ctx, (s) => s.stock(block))));
    return out;
  }

  getCustomer(ctx: TenantContext, customerId: string) {
    return this.exec(ctx, (s) => s.customer(customerId));
  }

  getOrder(ctx: TenantContext, ref: { orderNo?: string; externalRef?: string }) {
    return this.exec(ctx, (s) => s.order(ref));
  }

  listOrders(ctx: TenantContext, customerId: string, limit: number) {
    return this.exec(ctx, (s) => s.ordersOf(customerId, limit));
  }

  /** Idempotent by external reference: the ERP returns the existing order for a repeat. */
  createOrder(ctx: TenantContext, request: OrderRequest): Promise<OrderResult> {
    return this.exec(ctx, (s) => s.createOrder(request));
  }

  async createOrders(ctx: TenantContext, requests: OrderRequest[]): Promise<BatchResult<OrderResult>> {
    const result: BatchResult<OrderResult> = { succeeded: [], failed: [] };
    for (const [index, r] of requests.entries()) {
      try {
        result.succeeded.push(await this.createOrder(ctx, r));
      } catch (err) {
        result.failed.push({ index, code: (err as { code?: string }).code ?? "erp_error", message: String((err as Error).message) });
      }
    }
    return result;
  }

  // ---- CRM ----

  getContact(ctx: TenantContext, customerId: string) {
    return this.getCustomer(ctx, customerId);
  }

  async getContacts(ctx: TenantContext, customerIds: string[]) {
    const out = [];
    for (const id of customerIds) {
      const c = await this.getCustomer(ctx, id);
      if (c) out.push(c);
    }
    return out;
  }

  // ---- PIM ----

  async getProductDetails(ctx: TenantContext, articleId: string) {
    const [article] = await this.getProducts(ctx, [articleId]);
    if (!article) return null;
    const attrs = await this.exec(ctx, (s) => s.attributes([articleId]));
    return { article, attributes: attrs.get(articleId) ?? [] };
  }

  async getProducts(ctx: TenantContext, articleIds: string[]): Promise<ErpArticle[]> {
    return this.queryCatalog(ctx, { filter: { field: "articleId", op: "IN", values: articleIds }, sort: [], pagination: { offset: 0, limit: Math.max(1, articleIds.length) } });
  }

  getCategories(ctx: TenantContext) {
    return this.exec(ctx, (s) => s.categories());
  }

  /** Runs each planned sub-query as its own actor task, filters residual literals, merges. */
  async queryCatalog(ctx: TenantContext, descriptor: QueryDescriptor): Promise<ErpArticle[]> {
    const plans = planDescriptor(descriptor);
    if (plans.length === 1 && plans[0]!.residual.length === 0) {
      const q = plans[0]!.query;
      for (const s of descriptor.sort) q.orderBy(s.field, s.direction === "asc");
      q.orderBy("articleId").skip(descriptor.pagination.offset).take(descriptor.pagination.limit);
      return this.exec(ctx, (s) => s.queryArticles(q));
    }
    const batches: ErpArticle[][] = [];
    for (const plan of plans) {
      const rows = await this.exec(ctx, (s) => s.queryArticles(plan.query));
      if (plan.residual.length === 0) {
        batches.push(rows);
        continue;
      }
      const attrs = needsAttributes(plan.residual) ? await this.attributesOf(ctx, rows.map((r) => r.articleId)) : new Map<string, ErpAttribute[]>();
      batches.push(rows.filter((r) => residualHolds(plan.residual, r, attrs.get(r.articleId) ?? [])));
    }
    return mergeResults(batches, descriptor);
  }

  private async attributesOf(ctx: TenantContext, ids: string[]): Promise<Map<string, ErpAttribute[]>> {
    const out = new Map<string, ErpAttribute[]>();
    for (const block of chunk(ids, MAX_IN_VALUES)) for (const [k, v] of await this.exec(ctx, (s) => s.attributes(block))) out.set(k, v);
    return out;
  }

  async *streamCatalog(ctx: TenantContext, descriptor: QueryDescriptor): AsyncIterable<ErpArticle[]> {
    const rows = await this.queryCatalog(ctx, descriptor);
    for (const block of chunk(rows, 1000)) yield block;
  }

  /**
   * Change batches, each fetched as one background actor task so live calls interleave; read
   * in pages of at most SYNC_READ_PAGE rows whatever the batch size asked, because the ERP
   * session is busy (and a live call waits) for as long as one read takes.
   */
  async *streamChanges(ctx: TenantContext, entity: SyncEntity, afterRowversion: number, batchSize: number, until?: number, withAttributes = false) {
    let after = afterRowversion;
    const bg: TenantContext = { ...ctx, priority: "background" };
    const page = Math.min(batchSize, SYNC_READ_PAGE);
    for (;;) {
      if (ctx.signal?.aborted) throw ctx.signal.reason;
      const batch = await this.exec(bg, (s) => s.changes(entity, after, page, until, withAttributes));
      if (batch.length === 0) return;
      yield batch;
      after = batch[batch.length - 1]!.rowversion;
      if (batch.length < page) return;
    }
  }

  /** The ERP's current change horizon (rowversion): a sync stage is complete up to it. */
  changeHorizon(ctx: TenantContext): Promise<number> {
    return this.exec({ ...ctx, priority: "background" }, (s) => s.horizon());
  }

  /** How many live articles the ERP has (for a full run's progress and ETA). */
  articleCount(ctx: TenantContext): Promise<number> {
    return this.exec({ ...ctx, priority: "background" }, (s) => s.articleCount());
  }

  metrics(): Record<string, number> {
    const m: Record<string, number> = { queueDepth: 0, sessions: 0, calls: 0, errors: 0, busyRejections: 0, logins: 0 };
    for (const [bu, u] of this.units) {
      m[`queueDepth.${bu}`] = u.actor.depth;
      m.queueDepth! += u.actor.depth;
      m.sessions! += u.pool.size;
      m.calls! += u.actor.stats.completed + u.actor.stats.failed;
      m.errors! += u.actor.stats.failed;
      m.busyRejections! += u.actor.stats.rejectedBusy;
      m.logins! += u.pool.logins;
    }
    return m;
  }

  /** Stops taking work, lets running calls finish, logs the sessions out. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const u of this.units.values()) u.actor.close();
    await Promise.all([...this.units.values()].map((u) => u.actor.idle()));
    for (const u of this.units.values()) u.pool.releaseIdle();
  }

  /** Waits until every queued and running call has finished (graceful drain). */
  async drain(): Promise<void> {
    await Promise.all([...this.units.values()].map((u) => u.actor.idle()));
  }

  queueDepth(bu: string): number {
    return this.unit(bu).actor.depth;
  }
}
