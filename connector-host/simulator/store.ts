import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import {
  articleIdOf, baseChildSet, generateArticle, generateAttributes, generateCategories, generateCrossRefs, generateMedia, indexOfArticleId,
} from "./catalog.ts";
import { baseStock, customerPrice, generateCustomer, indexOfCustomerId, stockView } from "./commerce.ts";
import { type FaultConfig, faultConfigSchema, type SimConfig, simConfigSchema } from "./config.ts";
import { type FixtureArticle, fixtureToRows } from "./fixture.ts";
import type { Change, ChildSet, ErpArticle, ErpAttribute, ErpCategory, ErpCrossRef, ErpCustomer, ErpMedia, ErpPrice, ErpStock, SyncEntity } from "./types.ts";

/** Rowversions of changes start here, above every base row (generated and fixture). */
export const OVERLAY_ROWVERSION_BASE = 10_000_000_000;
const BASE_FIXTURE_TIME = Date.UTC(2025, 0, 1);

type ChildEntity = "attributes" | "media" | "cross_references";
export type EntityRow = ErpArticle | ChildSet<ErpAttribute> | ChildSet<ErpMedia> | ChildSet<ErpCrossRef> | ErpCategory;
const OVERLAY_TABLE: Record<Exclude<SyncEntity, "categories">, string> = {
  articles: "article_overlay",
  attributes: "attribute_overlay",
  media: "media_overlay",
  cross_references: "xref_overlay",
};

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS fixture_articles (seq INTEGER PRIMARY KEY, article_id TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
  ${Object.values(OVERLAY_TABLE)
    .map(
      (t) => `CREATE TABLE IF NOT EXISTS ${t} (article_id TEXT PRIMARY KEY, rowversion INTEGER NOT NULL UNIQUE, deleted INTEGER NOT NULL DEFAULT 0, data TEXT, changed_at TEXT NOT NULL);`,
    )
    .join("\n")}
  CREATE TABLE IF NOT EXISTS stock_overlay (article_id TEXT NOT NULL, warehouse_id TEXT NOT NULL, quantity INTEGER NOT NULL, rowversion INTEGER NOT NULL, PRIMARY KEY (article_id, warehouse_id));
  CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT, order_no TEXT UNIQUE, external_ref TEXT NOT NULL UNIQUE, customer_id TEXT NOT NULL,
    business_unit TEXT NOT NULL, status TEXT NOT NULL, reject_reason TEXT, data TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, rowversion INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS orders_customer ON orders (customer_id, id);
`;

/**
 * The simulated enventa database. The generated catalog is virtual (a pure function of seed
 * and index, so 1.5M articles cost no memory); fixture articles, every change, deletion,
 * stock movement and order live in a SQLite file that several processes share (the connector,
 * the `sim` CLI, tests computing ground truth), as they would share the ERP's SQL Server.
 */
export class ErpDatabase {
  readonly config: SimConfig;
  private readonly db: DatabaseSync;
  private fixture: { article: ErpArticle; attributes: ErpAttribute[] }[] = [];
  private fixtureById = new Map<string, number>();
  private overridden = new Map<SyncEntity, Set<string>>();
  private faultCache: FaultConfig | undefined;
  private seenDataVersion = -1;
  private readonly stmts = new Map<string, StatementSync>();
  private inTransaction = false;

  private constructor(db: DatabaseSync) {
    this.db = db;
    this.config = simConfigSchema.parse(JSON.parse(this.meta("config") ?? "{}"));
    this.refresh(true);
  }

  /** Creates a new ERP database file (replacing one that exists) with the given catalog. */
  static create(path: string, config: Partial<SimConfig>, fixture: FixtureArticle[] = []): ErpDatabase {
    const parsed = simConfigSchema.parse(config);
    if (path !== ":memory:") {
      mkdirSync(dirname(path), { recursive: true });
      for (const suffix of ["", "-wal", "-shm"]) if (existsSync(path + suffix)) rmSync(path + suffix);
    }
    const db = openSqlite(path);
    db.exec(SCHEMA);
    db.exec("BEGIN");
    const setMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
    setMeta.run("config", JSON.stringify(parsed));
    setMeta.run("rowversion", String(OVERLAY_ROWVERSION_BASE));
    setMeta.run("next_index", String(parsed.articles + 1));
    setMeta.run("next_order", "1");
    setMeta.run("faults", JSON.stringify(faultConfigSchema.parse({})));
    const addFixture = db.prepare("INSERT INTO fixture_articles (seq, article_id, data) VALUES (?, ?, ?)");
    fixture.forEach((f, j) => addFixture.run(j + 1, f.articleId, JSON.stringify(f)));
    db.exec("COMMIT");
    return new ErpDatabase(db);
  }

  static open(path: string): ErpDatabase {
    if (!existsSync(path)) throw new Error(`no ERP database at ${path} (create one with: npm run sim -- generate --db ${path})`);
    const db = openSqlite(path);
    db.exec(SCHEMA);
    return new ErpDatabase(db);
  }

  close(): void {
    this.db.close();
  }

  // ---- change tracking -------------------------------------------------------------------

  private stmt(sql: string): StatementSync {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  private meta(key: string): string | undefined {
    return (this.stmt("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)?.value;
  }

  /** Reloads caches when another process has written (PRAGMA data_version) or we did. */
  private refresh(force = false): void {
    const version = Number((this.stmt("PRAGMA data_version").get() as { data_version: number }).data_version);
    if (!force && version === this.seenDataVersion) return;
    this.seenDataVersion = version;
    const rows = this.stmt("SELECT seq, data FROM fixture_articles ORDER BY seq").all() as { seq: number; data: string }[];
    this.fixture = rows.map((r) => fixtureToRows(JSON.parse(r.data) as FixtureArticle, this.config.articles + r.seq, new Date(BASE_FIXTURE_TIME).toISOString()));
    this.fixtureById = new Map(this.fixture.map((f, j) => [f.article.articleId, j]));
    for (const [entity, table] of Object.entries(OVERLAY_TABLE)) {
      const ids = this.stmt(`SELECT article_id FROM ${table}`).all() as { article_id: string }[];
      this.overridden.set(entity as SyncEntity, new Set(ids.map((r) => r.article_id)));
    }
    this.faultCache = faultConfigSchema.parse(JSON.parse(this.meta("faults") ?? "{}"));
  }

  /**
   * Runs `fn` in one write transaction. Our own writes keep the caches current (they do not
   * move data_version); a rollback reloads them.
   */
  transaction<T>(fn: () => T): T {
    if (this.inTransaction) return fn();
    this.inTransaction = true;
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.db.exec("COMMIT");
      return out;
    } catch (err) {
      this.db.exec("ROLLBACK");
      this.refresh(true);
      throw err;
    } finally {
      this.inTransaction = false;
    }
  }

  nextRowversion(): number {
    const row = this.stmt("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'rowversion' RETURNING value").get() as { value: string | number };
    return Number(row.value);
  }

  takeNextIndex(): number {
    const row = this.stmt("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'next_index' RETURNING value").get() as { value: string | number };
    return Number(row.value) - 1;
  }

  get nextIndex(): number {
    this.refresh();
    return Number(this.meta("next_index"));
  }

  faults(): FaultConfig {
    this.refresh();
    return this.faultCache!;
  }

  setFaults(partial: Partial<FaultConfig>): FaultConfig {
    const next = faultConfigSchema.parse({ ...this.faults(), ...partial });
    this.transaction(() => this.stmt("UPDATE meta SET value = ? WHERE key = 'faults'").run(JSON.stringify(next)));
    this.faultCache = next;
    return next;
  }

  // ---- reads -----------------------------------------------------------------------------

  private overlayRow(entity: Exclude<SyncEntity, "categories">, articleId: string): { rowversion: number; deleted: number; data: string | null; changed_at: string } | undefined {
    return this.stmt(`SELECT rowversion, deleted, data, changed_at FROM ${OVERLAY_TABLE[entity]} WHERE article_id = ?`).get(articleId) as never;
  }

  /** Base row (generated or fixture) of an entity for an article, ignoring the overlay. */
  private baseRow(entity: Exclude<SyncEntity, "categories">, articleId: string): EntityRow | null {
    const j = this.fixtureById.get(articleId);
    if (j !== undefined) {
      const f = this.fixture[j]!;
      const rv = f.article.rowversion;
      if (entity === "articles") return f.article;
      const items = entity === "attributes" ? f.attributes : [];
      return { articleId, rowversion: rv, changedAt: f.article.changedAt, items } as ChildSet<never>;
    }
    const i = indexOfArticleId(articleId);
    if (i === undefined || i > this.config.articles) return null;
    return this.generated(entity, i);
  }

  private generated(entity: Exclude<SyncEntity, "categories">, i: number): EntityRow {
    const seed = this.config.seed;
    switch (entity) {
      case "articles":
        return generateArticle(seed, i);
      case "attributes":
        return baseChildSet(i, generateAttributes(seed, i));
      case "media":
        return baseChildSet(i, generateMedia(seed, i));
      case "cross_references":
        return baseChildSet(i, generateCrossRefs(seed, i, this.config.articles));
    }
  }

  /** Current row of an entity for an article, or null if it does not exist (or was deleted). */
  current(entity: "articles", articleId: string): ErpArticle | null;
  current(entity: ChildEntity, articleId: string): EntityRow | null;
  current(entity: Exclude<SyncEntity, "categories">, articleId: string): EntityRow | null {
    this.refresh();
    if (this.overridden.get(entity)!.has(articleId)) {
      const o = this.overlayRow(entity, articleId)!;
      return o.deleted ? null : (JSON.parse(o.data!) as EntityRow);
    }
    return this.baseRow(entity, articleId);
  }

  article(articleId: string): ErpArticle | null {
    return this.current("articles", articleId);
  }

  /**
   * Rows of `entity` changed after `after`, in rowversion order, at most `limit`: base rows
   * not since overridden, then fixture rows, then the overlay (changes and tombstones).
   */
  changes(entity: SyncEntity, after: number, limit: number, until = Number.MAX_SAFE_INTEGER, withAttributes = false): Change<EntityRow>[] {
    const out = this.rawChanges(entity, after, limit, until);
    if (!withAttributes || entity !== "articles") return out;
    // Articles with their current Merkmale inline: one write per article on the edge.
    return out.map((c) => (c.deleted ? c : { ...c, row: { ...(c.row as ErpArticle), attributes: ((this.current("attributes", c.key) as ChildSet<ErpAttribute> | null)?.items ?? []) } }));
  }

  private rawChanges(entity: SyncEntity, after: number, limit: number, until: number): Change<EntityRow>[] {
    this.refresh();
    if (until <= after) return [];
    if (entity === "categories") {
      return generateCategories()
        .filter((c) => c.rowversion > after && c.rowversion <= until)
        .slice(0, limit)
        .map((c) => ({ rowversion: c.rowversion, key: c.categoryId, deleted: false, row: c }));
    }
    const out: Change<EntityRow>[] = [];
    const skip = this.overridden.get(entity)!;
    const n = this.config.articles;
    for (let i = Math.max(1, after + 1); i <= Math.min(n, until) && out.length < limit; i++) {
      const id = articleIdOf(i);
      if (skip.has(id) || this.fixtureById.has(id)) continue;
      const row = this.generated(entity, i);
      if (entity !== "articles" && (row as ChildSet<unknown>).items.length === 0) continue;
      out.push({ rowversion: i, key: id, deleted: false, row });
    }
    for (let j = Math.max(0, after - n); j < this.fixture.length && n + j + 1 <= until && out.length < limit; j++) {
      const id = this.fixture[j]!.article.articleId;
      if (skip.has(id)) continue;
      const row = this.baseRow(entity, id)!;
      if (entity !== "articles" && (row as ChildSet<unknown>).items.length === 0) continue;
      out.push({ rowversion: n + j + 1, key: id, deleted: false, row });
    }
    if (out.length < limit) {
      const rows = this.stmt(`SELECT article_id, rowversion, deleted, data FROM ${OVERLAY_TABLE[entity]} WHERE rowversion > ? AND rowversion <= ? ORDER BY rowversion LIMIT ?`).all(
        Math.max(after, n + this.fixture.length),
        until,
        limit - out.length,
      ) as { article_id: string; rowversion: number; deleted: number; data: string | null }[];
      for (const r of rows) {
        out.push(r.deleted ? { rowversion: r.rowversion, key: r.article_id, deleted: true, row: null } : { rowversion: r.rowversion, key: r.article_id, deleted: false, row: JSON.parse(r.data!) });
      }
    }
    return out;
  }

  /** Every live article, in rowversion order, in pages (for scans and ground truth). */
  *allArticles(pageSize = 10_000): Generator<ErpArticle> {
    let after = 0;
    for (;;) {
      const page = this.changes("articles", after, pageSize);
      if (page.length === 0) return;
      for (const c of page) if (!c.deleted) yield c.row as ErpArticle;
      after = page[page.length - 1]!.rowversion;
    }
  }

  categories(): ErpCategory[] {
    return generateCategories();
  }

  customer(customerId: string): ErpCustomer | null {
    const i = indexOfCustomerId(customerId, this.config.customers);
    return i === undefined ? null : generateCustomer(this.config.seed, i);
  }

  price(customer: ErpCustomer, articleId: string, quantity: number): ErpPrice | null {
    const article = this.article(articleId);
    return article ? customerPrice(this.config.seed, customer, articleId, article.listPrice, quantity) : null;
  }

  stock(articleId: string): ErpStock | null {
    if (!this.article(articleId)) return null;
    const q = baseStock(this.config.seed, articleId);
    const rows = this.stmt("SELECT warehouse_id, quantity FROM stock_overlay WHERE article_id = ?").all(articleId) as { warehouse_id: string; quantity: number }[];
    for (const r of rows) q.set(r.warehouse_id, r.quantity);
    return stockView(articleId, q);
  }

  // ---- writes used by mutations and orders -------------------------------------------------

  /** Writes a new version (or a tombstone when row is null) of an entity row. */
  putOverlay(entity: Exclude<SyncEntity, "categories">, articleId: string, row: EntityRow | null, changedAt: string): number {
    const rowversion = this.nextRowversion();
    const data = row === null ? null : JSON.stringify({ ...row, rowversion, changedAt });
    this.stmt(`INSERT INTO ${OVERLAY_TABLE[entity]} (article_id, rowversion, deleted, data, changed_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (article_id) DO UPDATE SET rowversion = excluded.rowversion, deleted = excluded.deleted, data = excluded.data, changed_at = excluded.changed_at`).run(
      articleId,
      rowversion,
      row === null ? 1 : 0,
      data,
      changedAt,
    );
    this.overridden.get(entity)!.add(articleId);
    return rowversion;
  }

  putStock(articleId: string, warehouseId: string, quantity: number): void {
    this.stmt(`INSERT INTO stock_overlay (article_id, warehouse_id, quantity, rowversion) VALUES (?, ?, ?, ?)
      ON CONFLICT (article_id, warehouse_id) DO UPDATE SET quantity = excluded.quantity, rowversion = excluded.rowversion`).run(articleId, warehouseId, quantity, this.nextRowversion());
  }

  /** Raw access for the order book (orders.ts), which owns the SQL for orders. */
  get sql(): { prepare(sql: string): StatementSync } {
    return { prepare: (sql: string) => this.stmt(sql) };
  }

  /** Live articles right now, without generating them (base + fixture + added - deleted). */
  liveArticleCount(): number {
    this.refresh();
    let n = this.config.articles + this.fixture.length;
    for (const r of this.stmt(`SELECT article_id, deleted FROM article_overlay`).all() as { article_id: string; deleted: number }[]) {
      const i = indexOfArticleId(r.article_id);
      const isBase = this.fixtureById.has(r.article_id) || (i !== undefined && i <= this.config.articles);
      if (isBase && r.deleted) n--;
      if (!isBase && !r.deleted) n++;
    }
    return n;
  }

  /** The newest rowversion the database has handed out (where an event watcher starts). */
  currentRowversion(): number {
    return Number(this.meta("rowversion"));
  }

  /**
   * What changed after a rowversion, for ERP events: articles (names, prices, ...), stock and
   * orders. The real ERP would tell through triggers or its change log; here it is the overlay.
   */
  changedSince(after: number, limit = 5_000): { articles: string[]; stock: string[]; orders: string[]; until: number } {
    const q = (sql: string) => this.stmt(sql).all(after, limit) as { id: string; rv: number }[];
    const articles = q(`SELECT article_id AS id, rowversion AS rv FROM article_overlay WHERE rowversion > ? ORDER BY rowversion LIMIT ?`);
    const stock = q(`SELECT article_id AS id, max(rowversion) AS rv FROM stock_overlay WHERE rowversion > ? GROUP BY article_id ORDER BY rv LIMIT ?`);
    const orders = q(`SELECT order_no AS id, rowversion AS rv FROM orders WHERE rowversion > ? AND order_no IS NOT NULL ORDER BY rowversion LIMIT ?`);
    const until = Math.max(after, ...[articles, stock, orders].flatMap((rows) => rows.map((r) => r.rv)));
    return { articles: articles.map((r) => r.id), stock: stock.map((r) => r.id), orders: orders.map((r) => r.id), until };
  }

  fixtureArticleIds(): string[] {
    this.refresh();
    return this.fixture.map((f) => f.article.articleId);
  }
}

function openSqlite(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;");
  return db;
}
