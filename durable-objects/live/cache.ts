/**
 * The DO's cache of live answers, in its SQLite storage so it survives eviction: fresh entries
 * (within the tenant's TTL) answer without the ERP; invalidated or expired ones are kept as the
 * "last known" value for degraded mode, up to the tenant's maximum stale age.
 */
export interface CachedValue<T> {
  value: T;
  fetchedAt: number;
  fresh: boolean;
}

export class LiveCache {
  hits = 0;
  misses = 0;
  private writes = 0;
  private statsTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS live_cache (
      kind TEXT NOT NULL, scope TEXT NOT NULL, item TEXT NOT NULL, article_id TEXT NOT NULL,
      body TEXT NOT NULL, fetched_at INTEGER NOT NULL, valid INTEGER NOT NULL,
      PRIMARY KEY (kind, scope, item))`);
    sql.exec(`CREATE INDEX IF NOT EXISTS live_cache_article ON live_cache (kind, article_id)`);
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
    const rows = this.sql.exec<{ item: string; body: string; fetched_at: number; valid: number }>(
      `SELECT item, body, fetched_at, valid FROM live_cache WHERE kind = ? AND scope = ? AND item IN (SELECT value FROM json_each(?))`,
      kind, scope, JSON.stringify(items),
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

  put(kind: string, scope: string, entries: { item: string; articleId: string; value: unknown }[], now = Date.now()): void {
    for (const e of entries) {
      this.sql.exec(
        `INSERT INTO live_cache (kind, scope, item, article_id, body, fetched_at, valid) VALUES (?, ?, ?, ?, ?, ?, 1)
         ON CONFLICT (kind, scope, item) DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at, valid = 1`,
        kind, scope, e.item, e.articleId, JSON.stringify(e.value), now,
      );
    }
    this.writes += entries.length;
  }

  /** An ERP event said these articles changed: their entries are no longer fresh. */
  invalidate(kind: string, articleIds: string[]): number {
    if (articleIds.length === 0) return 0;
    return this.sql.exec(`UPDATE live_cache SET valid = 0 WHERE kind = ? AND article_id IN (SELECT value FROM json_each(?))`, kind, JSON.stringify(articleIds)).rowsWritten;
  }

  invalidateScope(kind: string, scope: string): number {
    return this.sql.exec(`UPDATE live_cache SET valid = 0 WHERE kind = ? AND scope = ?`, kind, scope).rowsWritten;
  }

  /** Drops entries older than anyone may still use them (called now and then). */
  prune(maxAgeMs: number, now = Date.now()): void {
    if (this.writes < 1000) return;
    this.writes = 0;
    this.sql.exec(`DELETE FROM live_cache WHERE fetched_at < ?`, now - maxAgeMs);
  }

  get hitRatio(): number {
    const total = this.hits + this.misses;
    return total === 0 ? 0 : this.hits / total;
  }
}
