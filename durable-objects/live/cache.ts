/**
 * The DO's cache of live answers, in its SQLite storage so it survives eviction: fresh entries
 * (within the tenant's TTL) answer without the ERP; invalidated or expired ones are kept as the
 * "last known" value for degraded mode, up to the tenant's maximum stale age.
 *
 * New entries are written behind, within a second, like the metrics: a SQLite write on the call
 * path holds the call's answer until the write is durable (the output gate), which was a large
 * share of a live call. Until written they are read from memory; an eviction in that second
 * loses only those entries, which the next lookup asks the ERP for again.
 */
export interface CachedValue<T> {
  value: T;
  fetchedAt: number;
  fresh: boolean;
}

interface Unwritten {
  kind: string;
  scope: string;
  item: string;
  articleId: string;
  value: unknown;
  fetchedAt: number;
  valid: boolean;
}

const FLUSH_AFTER_MS = 1_000;
/** A burst larger than this is written at once rather than held in memory. */
const MAX_UNWRITTEN = 5_000;
const entryKey = (kind: string, scope: string, item: string) => `${kind}\u0000${scope}\u0000${item}`;

export class LiveCache {
  hits = 0;
  misses = 0;
  private writes = 0;
  private statsTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly unwritten = new Map<string, Unwritten>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS live_cache (
      kind TEXT NOT NULL, scope TEXT NOT NULL, item TEXT NOT NULL, article_id TEXT NOT NULL,
      body TEXT NOT NULL, fetched_at INTEGER NOT NULL, valid INTEGER NOT NULL,
      PRIMARY KEY (kind, scope, item))`);
    sql.exec(`CREATE INDEX IF NOT EXISTS live_cache_article ON live_cache (kind, article_id)`);
    // prune() deletes by age: without this it scanned the whole table (an hour of answers, 360k
    // rows at 100 calls/s) on the object's thread every 1,000 writes, in front of live calls.
    sql.exec(`CREATE INDEX IF NOT EXISTS live_cache_fetched ON live_cache (fetched_at)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS cache_stats (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
    for (const r of sql.exec<{ name: string; value: number }>(`SELECT name, value FROM cache_stats`)) {
      if (r.name === "hits") this.hits = r.value;
      if (r.name === "misses") this.misses = r.value;
    }
  }

  /** Looks up `items` of one kind and scope (e.g. prices of one customer). */
  get<T>(kind: string, scope: string, items: string[], ttlMs: number, now = Date.now()): Map<string, CachedValue<T>> {
    const out = new Map<string, CachedValue<T>>();
    if (items.length === 0) return out;
    const stored: string[] = [];
    for (const item of items) {
      const u = this.unwritten.get(entryKey(kind, scope, item));
      if (u) out.set(item, { value: u.value as T, fetchedAt: u.fetchedAt, fresh: u.valid && now - u.fetchedAt < ttlMs });
      else stored.push(item);
    }
    if (stored.length === 0) return out;
    const rows = this.sql.exec<{ item: string; body: string; fetched_at: number; valid: number }>(
      `SELECT item, body, fetched_at, valid FROM live_cache WHERE kind = ? AND scope = ? AND item IN (SELECT value FROM json_each(?))`,
      kind, scope, JSON.stringify(stored),
    );
    for (const r of rows) out.set(r.item, { value: JSON.parse(r.body) as T, fetchedAt: r.fetched_at, fresh: r.valid === 1 && now - r.fetched_at < ttlMs });
    return out;
  }

  /** Counts a lookup's outcome for the hit ratio (persisted within a second). */
  count(hits: number, misses: number): void {
    this.hits += hits;
    this.misses += misses;
    this.statsTimer ??= setTimeout(() => {
      this.statsTimer = undefined;
      this.sql.exec(`INSERT INTO cache_stats (name, value) VALUES ('hits', ?), ('misses', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, this.hits, this.misses);
    }, 1_000);
  }

  /** Remembers fresh answers; they reach SQLite within a second (see the class comment). */
  put(kind: string, scope: string, entries: { item: string; articleId: string; value: unknown }[], now = Date.now()): void {
    for (const e of entries) this.unwritten.set(entryKey(kind, scope, e.item), { kind, scope, item: e.item, articleId: e.articleId, value: e.value, fetchedAt: now, valid: true });
    this.writes += entries.length;
    if (this.unwritten.size >= MAX_UNWRITTEN) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
  }

  /** Writes the entries held in memory to SQLite. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const u of this.unwritten.values()) {
      this.sql.exec(
        `INSERT INTO live_cache (kind, scope, item, article_id, body, fetched_at, valid) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, scope, item) DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at, valid = excluded.valid`,
        u.kind, u.scope, u.item, u.articleId, JSON.stringify(u.value), u.fetchedAt, u.valid ? 1 : 0,
      );
    }
    this.unwritten.clear();
  }

  /** An ERP event said these articles changed: their entries are no longer fresh. */
  invalidate(kind: string, articleIds: string[]): number {
    if (articleIds.length === 0) return 0;
    const ids = new Set(articleIds);
    return this.invalidateUnwritten((u) => u.kind === kind && ids.has(u.articleId)) +
      this.sql.exec(`UPDATE live_cache SET valid = 0 WHERE kind = ? AND article_id IN (SELECT value FROM json_each(?))`, kind, JSON.stringify(articleIds)).rowsWritten;
  }

  invalidateScope(kind: string, scope: string): number {
    return this.invalidateUnwritten((u) => u.kind === kind && u.scope === scope) + this.sql.exec(`UPDATE live_cache SET valid = 0 WHERE kind = ? AND scope = ?`, kind, scope).rowsWritten;
  }

  private invalidateUnwritten(match: (u: Unwritten) => boolean): number {
    let n = 0;
    for (const u of this.unwritten.values()) {
      if (u.valid && match(u)) {
        u.valid = false;
        n++;
      }
    }
    return n;
  }

  /** Drops entries older than anyone may still use them (called now and then); the rows it read and deleted. */
  prune(maxAgeMs: number, now = Date.now()): { read: number; deleted: number } {
    if (this.writes < 1000) return { read: 0, deleted: 0 };
    this.writes = 0;
    this.flush();
    const c = this.sql.exec(`DELETE FROM live_cache WHERE fetched_at < ?`, now - maxAgeMs);
    c.toArray();
    return { read: c.rowsRead, deleted: c.rowsWritten };
  }

  get hitRatio(): number {
    const total = this.hits + this.misses;
    return total === 0 ? 0 : this.hits / total;
  }
}
