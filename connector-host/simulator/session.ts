import { setTimeout as sleep } from "node:timers/promises";
import { ErpError, LoginConcurrencyError, QueryError, SessionExpiredError, ThreadingViolationError } from "./errors.ts";
import { type CreateOrderRequest, OrderBook } from "./orders.ts";
import { Rng } from "./prng.ts";
import { type ArticleQuery, MAX_IN_VALUES, articleValue, compare, matchesArticle } from "./query.ts";
import type { EntityRow, ErpDatabase } from "./store.ts";
import type { Change, ChildSet, ErpArticle, ErpAttribute, ErpCategory, ErpCustomer, ErpOrder, ErpPrice, ErpStock, SyncEntity } from "./types.ts";

/** Process-wide counters: what the simulator saw, including misuse it detected. */
export const simStats = { threadingViolations: 0, logins: 0, loginConflicts: 0, sessionsCreated: 0, calls: 0, failedCalls: 0, expiredSessions: 0 };
export function resetSimStats(): void {
  for (const k of Object.keys(simStats) as (keyof typeof simStats)[]) simStats[k] = 0;
}

/**
 * enventa's Login() is not thread-safe: one login at a time in the whole process, whichever
 * thread calls it. The flag lives in shared memory so a worker thread that adopts it
 * (`adoptLoginState`) sees the same one.
 */
let loginFlag = new Int32Array(new SharedArrayBuffer(4));

/** The process's login flag, to hand to a worker thread. */
export function loginState(): SharedArrayBuffer {
  return loginFlag.buffer as SharedArrayBuffer;
}

/** In a worker thread: use the process's login flag (from `loginState()` of the main thread). */
export function adoptLoginState(buffer: SharedArrayBuffer): void {
  loginFlag = new Int32Array(buffer);
}
let sessionCounter = 0;

export interface Identity {
  businessUnit: string;
  user?: string;
}

/**
 * A session like enventa's IFSGlobalObjects: created cheaply, logged in slowly (a BusinessUnit
 * is chosen at login), not reentrant (a call entering while another runs is a threading
 * violation: counted and thrown), expired after idling, and able to lose its connection.
 */
export class EnventaSession {
  readonly id = ++sessionCounter;
  businessUnit: string | undefined;
  private running: string | undefined;
  private lastUsed = Date.now();
  private valid = false;
  private readonly rng = new Rng(0x5eed ^ this.id);
  private readonly orders: OrderBook;

  constructor(private readonly erp: ErpDatabase) {
    simStats.sessionsCreated++;
    this.orders = new OrderBook(erp);
  }

  get loggedIn(): boolean {
    return this.valid && !this.idleExpired();
  }

  private idleExpired(): boolean {
    return Date.now() - this.lastUsed > this.erp.config.idleTimeoutMs;
  }

  async login(identity: Identity): Promise<void> {
    if (Atomics.compareExchange(loginFlag, 0, 0, 1) !== 0) {
      simStats.loginConflicts++;
      throw new LoginConcurrencyError();
    }
    try {
      await sleep(this.erp.config.loginMs);
      this.businessUnit = identity.businessUnit;
      this.valid = true;
      this.lastUsed = Date.now();
      simStats.logins++;
    } finally {
      Atomics.store(loginFlag, 0, 0);
    }
  }

  logout(): void {
    this.valid = false;
  }

  /** Every call goes through here: reentrancy detection, expiry, faults, latency. */
  private async call<T>(operation: string, fn: () => T, rows: (out: T) => number = () => 1): Promise<T> {
    if (this.running !== undefined) {
      simStats.threadingViolations++;
      throw new ThreadingViolationError(operation, this.running);
    }
    this.running = operation;
    simStats.calls++;
    try {
      if (!this.valid) throw new SessionExpiredError("not logged in");
      if (this.idleExpired()) {
        this.valid = false;
        simStats.expiredSessions++;
        throw new SessionExpiredError(`idle for more than ${this.erp.config.idleTimeoutMs} ms`);
      }
      const faults = this.erp.faults();
      if (faults.stallRate > 0 && this.rng.chance(faults.stallRate)) await sleep(faults.stallMs);
      if (faults.dropRate > 0 && this.rng.chance(faults.dropRate)) {
        this.valid = false;
        throw new SessionExpiredError("database connection lost");
      }
      if (faults.errorRate > 0 && this.rng.chance(faults.errorRate)) throw new ErpError("erp_unavailable", `simulated ERP failure in ${operation}`, true);
      // A call always yields once (it is I/O in the real ERP), so overlapping use is observable.
      if (faults.perCallMs > 0) await sleep(faults.perCallMs);
      else await new Promise<void>((resolve) => setImmediate(resolve));
      const out = fn();
      const rowDelayMs = (faults.perRowUs * rows(out)) / 1000;
      if (rowDelayMs > 0) await sleep(rowDelayMs);
      return out;
    } catch (err) {
      simStats.failedCalls++;
      throw err;
    } finally {
      this.running = undefined;
      this.lastUsed = Date.now();
    }
  }

  ping(): Promise<true> {
    return this.call("ping", () => true as const);
  }

  /** Runs an article query (AND conditions, EXISTS on attributes, sort, skip/take). */
  queryArticles(q: ArticleQuery): Promise<ErpArticle[]> {
    return this.call("queryArticles", () => this.runQuery(q), (out) => out.length);
  }

  private runQuery(q: ArticleQuery): ErpArticle[] {
    const idCondition = q.conditions.find((c) => c.field === "articleId" && (c.op === "EQ" || c.op === "IN"));
    const candidates: Iterable<ErpArticle> = idCondition
      ? (idCondition.op === "IN" ? idCondition.values : [idCondition.op === "EQ" ? idCondition.value : ""]).map((id) => this.erp.article(String(id))).filter((a): a is ErpArticle => a !== null)
      : this.erp.allArticles();
    const attributes = (a: ErpArticle) => () => ((this.erp.current("attributes", a.articleId) as ChildSet<ErpAttribute> | null)?.items ?? []);
    const hits: ErpArticle[] = [];
    for (const a of candidates) if (matchesArticle(a, q, attributes(a))) hits.push(a);
    if (q.sort.length > 0) {
      hits.sort((x, y) => {
        for (const s of q.sort) {
          const d = compare(articleValue(x, s.field) as string | number | null, (articleValue(y, s.field) ?? "") as string | number);
          if (d !== 0) return s.ascending ? d : -d;
        }
        return compare(x.articleId, y.articleId);
      });
    }
    return hits.slice(q.skipRows, q.takeRows === undefined ? undefined : q.skipRows + q.takeRows);
  }

  /** Rows of an entity changed after a rowversion (the delta-sync cursor), at most `limit`. */
  changes(entity: SyncEntity, after: number, limit: number, until?: number, withAttributes = false): Promise<Change<EntityRow>[]> {
    return this.call(`changes:${entity}`, () => this.erp.changes(entity, after, limit, until, withAttributes), (out) => out.length);
  }

  articleCount(): Promise<number> {
    return this.call("articleCount", () => this.erp.liveArticleCount());
  }

  /** The database's current rowversion: every change so far is at or below it. */
  horizon(): Promise<number> {
    return this.call("horizon", () => this.erp.currentRowversion());
  }

  /** Attribute sets of up to 1,000 articles (an IN query on the Merkmal table). */
  attributes(articleIds: string[]): Promise<Map<string, ErpAttribute[]>> {
    if (articleIds.length > MAX_IN_VALUES) return Promise.reject(new QueryError(`IN list of ${articleIds.length} values exceeds the limit of ${MAX_IN_VALUES}`));
    return this.call(
      "attributes",
      () => new Map(articleIds.map((id) => [id, ((this.erp.current("attributes", id) as ChildSet<ErpAttribute> | null)?.items ?? [])])),
      (out) => out.size,
    );
  }

  categories(): Promise<ErpCategory[]> {
    return this.call("categories", () => this.erp.categories(), (out) => out.length);
  }

  customer(customerId: string): Promise<ErpCustomer | null> {
    return this.call("customer", () => this.erp.customer(customerId));
  }

  prices(customerId: string, items: { articleId: string; quantity: number }[]): Promise<{ customer: ErpCustomer | null; prices: ErpPrice[] }> {
    if (items.length > MAX_IN_VALUES) return Promise.reject(new QueryError(`IN list of ${items.length} values exceeds the limit of ${MAX_IN_VALUES}`));
    return this.call(
      "prices",
      () => {
        const customer = this.erp.customer(customerId);
        if (!customer) return { customer: null, prices: [] };
        const prices = items.map((i) => this.erp.price(customer, i.articleId, i.quantity)).filter((p): p is ErpPrice => p !== null);
        return { customer, prices };
      },
      (out) => out.prices.length,
    );
  }

  stock(articleIds: string[]): Promise<ErpStock[]> {
    if (articleIds.length > MAX_IN_VALUES) return Promise.reject(new QueryError(`IN list of ${articleIds.length} values exceeds the limit of ${MAX_IN_VALUES}`));
    return this.call("stock", () => articleIds.map((id) => this.erp.stock(id)).filter((s): s is ErpStock => s !== null), (out) => out.length);
  }

  createOrder(req: Omit<CreateOrderRequest, "businessUnit">): Promise<{ order: ErpOrder; created: boolean }> {
    return this.call("createOrder", () => this.orders.create({ ...req, businessUnit: this.businessUnit ?? "" }));
  }

  order(by: { orderNo?: string; externalRef?: string }): Promise<ErpOrder | null> {
    return this.call("order", () => (by.orderNo ? this.orders.byNumber(by.orderNo) : by.externalRef ? this.orders.byRef(by.externalRef) : null));
  }

  ordersOf(customerId: string, limit: number): Promise<ErpOrder[]> {
    return this.call("ordersOf", () => this.orders.ofCustomer(customerId, limit), (out) => out.length);
  }
}
