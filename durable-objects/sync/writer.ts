import type { Pool, PoolClient } from "@neondatabase/serverless";
import type { SyncCursor, SyncMode } from "../../schema/sync.ts";
import type { Change, SyncEntity } from "./rows.ts";
import type { attributeSet, categoryRow, crossRefSet, mediaSet } from "./rows.ts";
import type { z } from "zod";
import { type WriteBatch, attributesObject } from "./write-batch.ts";

type AttributeSet = z.output<typeof attributeSet>;
type MediaSet = z.output<typeof mediaSet>;
type CrossRefSet = z.output<typeof crossRefSet>;
type Category = z.output<typeof categoryRow>;

const live = <T>(changes: Change<T>[]) => changes.filter((c): c is Extract<Change<T>, { deleted: false }> => !c.deleted);
const gone = <T>(changes: Change<T>[]) => changes.filter((c) => c.deleted).map((c) => c.key);

/** What became of a posted batch (see `SyncWriter.writeBatch`). */
export type BatchOutcome =
  | { kind: "committed"; rows: number; lastRowversion: number }
  | { kind: "duplicate"; committedSeq: number }
  | { kind: "out_of_order"; expectedSeq: number }
  | { kind: "replaced" };

/** Ends a batch's transaction without committing, with what to tell its sender. */
class Rollback extends Error {
  constructor(readonly outcome: BatchOutcome) {
    super(outcome.kind);
  }
}

const attributesJson = (items: AttributeSet["items"]) => JSON.stringify(attributesObject(items));

/**
 * Writes sync batches to Postgres: one transaction per batch holding the bulk upsert (a JSON
 * document or UNNEST of column arrays, never row by row), the run's cursor and the entity
 * checkpoint, so a checkpoint only ever moves together with the rows it covers. Upserts are
 * keyed by tenant + ERP key and skip rows that are not newer, so a replayed batch changes nothing.
 */
export class SyncWriter {
  constructor(
    private readonly pool: Pool,
    readonly tenantId: string,
    readonly runId: string,
    readonly mode: SyncMode,
  ) {}

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const out = await fn(client);
      await client.query("COMMIT");
      return out;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Applies batch `seq` of ingest stream `stream` and moves the run's cursor and the entity
   * checkpoint to its last rowversion, in one transaction. The rows are written first; then the
   * run's row is locked, which waits for a concurrent ingest of the batch before to commit, so
   * commits and checkpoints stay in stream order. Only the batch right after the last committed
   * one commits: an earlier one (a retried post) or a later one (overtook its predecessor), or
   * one of a stream the run no longer drives, is rolled back and reported.
   */
  async writeBatch(batch: WriteBatch, stream: string, seq: number): Promise<BatchOutcome> {
    const entity = batch.entity;
    const last = batch.lastRowversion;
    const newest = batch.newestChangeAt;
    try {
      return await this.tx(async (c) => {
        // A batch's commit need not wait for the WAL flush: if Postgres crashes, the last batches
        // are lost together with their checkpoint (same transaction) and the run replays them.
        // The articles trigger leaves the dictionary to this writer (see below).
        await c.query("SET LOCAL synchronous_commit = off; SET LOCAL b2x.words_by_writer = 'on'");
        const names = await this.writeRows(c, batch);
        const run = await c.query(`SELECT status, cursor FROM sync_runs WHERE tenant_id = $1 AND run_id = $2 FOR UPDATE`, [this.tenantId, this.runId]);
        const row = run.rows[0] as { status: string; cursor: SyncCursor } | undefined;
        const current = row?.cursor.ingest;
        if (!row || row.status !== "running" || current?.stream !== stream || current.entity !== entity) throw new Rollback({ kind: "replaced" });
        if (seq <= current.seq) throw new Rollback({ kind: "duplicate", committedSeq: current.seq });
        if (seq > current.seq + 1) throw new Rollback({ kind: "out_of_order", expectedSeq: current.seq + 1 });
        // The dictionary takes the words of written names here, in commit order (migration 0007).
        if (names.length > 0) await c.query(`SELECT search_words_add($1, $2::text[])`, [this.tenantId, names]);
        if (last > 0) await this.moveCheckpoint(c, entity, last, newest);
        const next: SyncCursor = { ...row.cursor, stage: entity, after: { ...row.cursor.after, ...(last > 0 && { [entity]: last }) }, ingest: { ...current, seq } };
        await c.query(`UPDATE sync_runs SET rows_done = rows_done + $3, stage = $4, cursor = $5, updated_at = now() WHERE tenant_id = $1 AND run_id = $2`, [this.tenantId, this.runId, batch.size, entity, JSON.stringify(next)]);
        return { kind: "committed", rows: batch.size, lastRowversion: last } as const;
      });
    } catch (err) {
      if (err instanceof Rollback) return err.outcome;
      throw err;
    }
  }

  private async writeRows(c: PoolClient, batch: WriteBatch): Promise<string[]> {
    if (this.mode === "incremental" && (batch.entity === "articles" || batch.entity === "attributes")) await this.captureBefore(c, batch);
    switch (batch.entity) {
      case "articles":
        return this.articles(c, batch);
      case "attributes":
        await this.attributes(c, batch.changes as Change<AttributeSet>[]);
        break;
      case "media":
        await this.media(c, batch.changes as Change<MediaSet>[]);
        break;
      case "cross_references":
        await this.crossRefs(c, batch.changes as Change<CrossRefSet>[]);
        break;
      case "categories":
        await this.categories(c, batch.changes as Change<Category>[]);
        break;
    }
    return [];
  }

  /**
   * Keeps what search saw of the batch's articles before this run first wrote them (catalog
   * changes), so the search summaries of the version before the run can be rolled forward at
   * its commit. In the batch's transaction: a batch that rolls back leaves nothing, and one
   * written again finds the state before the run already kept.
   */
  private async captureBefore(c: PoolClient, batch: WriteBatch): Promise<void> {
    const ids = batch.entity === "articles" ? [...batch.liveArticleIds, ...batch.deleted.map((d) => d.key)] : batch.changes.map((ch) => ch.key);
    if (ids.length === 0) return;
    await c.query(
      `INSERT INTO catalog_changes (tenant_id, run_id, article_id, existed, article_number, name, description, brand, ean, manufacturer_number, category_ids, attributes, search, name_norm)
       SELECT $1, $2, k.id, a.article_id IS NOT NULL AND a.deleted_at IS NULL, a.article_number, a.name, a.description, a.brand, a.ean, a.manufacturer_number, a.category_ids, a.attributes, a.search, a.name_norm
       FROM unnest($3::text[]) AS k(id) LEFT JOIN articles a ON a.tenant_id = $1 AND a.article_id = k.id
       ON CONFLICT DO NOTHING`,
      [this.tenantId, this.runId, ids],
    );
  }

  private async moveCheckpoint(c: PoolClient, entity: SyncEntity, rowversion: number, newest: number): Promise<void> {
    await c.query(
      `INSERT INTO sync_checkpoints (tenant_id, entity, rowversion, run_id, newest_change_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (tenant_id, entity) DO UPDATE SET
         rowversion = GREATEST(sync_checkpoints.rowversion, excluded.rowversion), run_id = excluded.run_id,
         newest_change_at = GREATEST(sync_checkpoints.newest_change_at, excluded.newest_change_at), updated_at = now()`,
      [this.tenantId, entity, rowversion, this.runId, newest > 0 ? new Date(newest) : null],
    );
  }

  /** Writes the batch's articles; returns the names of those actually inserted or changed. */
  private async articles(c: PoolClient, batch: WriteBatch): Promise<string[]> {
    let names: string[] = [];
    if (batch.liveArticleIds.length > 0) {
      // One JSON document per batch, unpacked by Postgres (json_to_recordset): the Worker only
      // joins the rows' JSON instead of encoding a dozen text arrays element by element.
      const written = await c.query(
        `INSERT INTO articles (tenant_id, article_id, rowversion, article_number, name, description, brand, ean, manufacturer_number, category_ids, attributes, updated_at, deleted_at)
         SELECT $1, a."articleId", a.rowversion, a."articleNumber", a.name, a.description, a.brand, a.ean, a."manufacturerNumber", a."categoryIds", a.attributes, a."changedAt", NULL
         FROM json_to_recordset($2::json) AS a("articleId" text, rowversion bigint, "articleNumber" text, name text, description text, brand text, ean text,
           "manufacturerNumber" text, "categoryIds" text[], attributes jsonb, "changedAt" timestamptz)
         ON CONFLICT (tenant_id, article_id) DO UPDATE SET
           rowversion = excluded.rowversion, article_number = excluded.article_number, name = excluded.name, description = excluded.description,
           brand = excluded.brand, ean = excluded.ean, manufacturer_number = excluded.manufacturer_number, category_ids = excluded.category_ids,
           attributes = excluded.attributes, updated_at = excluded.updated_at, deleted_at = NULL
         WHERE articles.rowversion < excluded.rowversion OR articles.deleted_at IS NOT NULL OR articles.attributes IS DISTINCT FROM excluded.attributes
         RETURNING name`,
        [this.tenantId, batch.articlesDocument()],
      );
      names = (written.rows as { name: string }[]).map((r) => r.name);
      if (this.mode === "full") {
        await c.query(`INSERT INTO sync_seen (tenant_id, run_id, article_id) SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING`, [this.tenantId, this.runId, batch.liveArticleIds]);
      }
    }
    if (batch.deleted.length > 0) await this.softDelete(c, batch.deleted.map((d) => d.key), batch.deleted.map((d) => d.rowversion));
    return names;
  }

  /** Deleted in the ERP: hidden from the catalog at once, child rows removed. */
  private async softDelete(c: PoolClient, ids: string[], rowversions: number[]): Promise<void> {
    await c.query(
      `UPDATE articles a SET deleted_at = now(), rowversion = GREATEST(a.rowversion, d.rv), updated_at = now()
       FROM unnest($2::text[], $3::bigint[]) AS d(id, rv) WHERE a.tenant_id = $1 AND a.article_id = d.id AND a.deleted_at IS NULL`,
      [this.tenantId, ids, rowversions],
    );
    await c.query(`DELETE FROM media WHERE tenant_id = $1 AND article_id = ANY($2::text[])`, [this.tenantId, ids]);
    await c.query(`DELETE FROM cross_references WHERE tenant_id = $1 AND article_id = ANY($2::text[])`, [this.tenantId, ids]);
  }

  private async attributes(c: PoolClient, changes: Change<AttributeSet>[]): Promise<void> {
    if (changes.length === 0) return;
    const ids = changes.map((ch) => ch.key);
    const values = changes.map((ch) => (ch.deleted ? "{}" : attributesJson(ch.row.items)));
    await c.query(
      `UPDATE articles a SET attributes = x.attrs::jsonb, updated_at = now()
       FROM unnest($2::text[], $3::text[]) AS x(id, attrs)
       WHERE a.tenant_id = $1 AND a.article_id = x.id AND a.attributes IS DISTINCT FROM x.attrs::jsonb`,
      [this.tenantId, ids, values],
    );
  }

  private async media(c: PoolClient, changes: Change<MediaSet>[]): Promise<void> {
    const ids = changes.map((ch) => ch.key);
    await c.query(`DELETE FROM media WHERE tenant_id = $1 AND article_id = ANY($2::text[])`, [this.tenantId, ids]);
    const items = live(changes).flatMap((ch) => ch.row.items.map((m) => ({ ...m, articleId: ch.key, rv: ch.rowversion })));
    if (items.length === 0) return;
    await c.query(
      `INSERT INTO media (tenant_id, article_id, media_id, rowversion, kind, url, alt, position)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::int[])
       ON CONFLICT (tenant_id, article_id, media_id) DO UPDATE SET rowversion = excluded.rowversion, kind = excluded.kind, url = excluded.url, alt = excluded.alt, position = excluded.position`,
      [this.tenantId, items.map((m) => m.articleId), items.map((m) => m.mediaId), items.map((m) => m.rv), items.map((m) => m.kind), items.map((m) => m.url), items.map((m) => m.alt), items.map((m) => m.position)],
    );
  }

  private async crossRefs(c: PoolClient, changes: Change<CrossRefSet>[]): Promise<void> {
    const ids = changes.map((ch) => ch.key);
    await c.query(`DELETE FROM cross_references WHERE tenant_id = $1 AND article_id = ANY($2::text[])`, [this.tenantId, ids]);
    const items = live(changes).flatMap((ch) => ch.row.items.map((x) => ({ ...x, articleId: ch.key, rv: ch.rowversion })));
    if (items.length === 0) return;
    await c.query(
      `INSERT INTO cross_references (tenant_id, article_id, kind, target_article_id, rowversion, position)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::int[])
       ON CONFLICT (tenant_id, article_id, kind, target_article_id) DO UPDATE SET rowversion = excluded.rowversion, position = excluded.position`,
      [this.tenantId, items.map((x) => x.articleId), items.map((x) => x.kind), items.map((x) => x.targetArticleId), items.map((x) => x.rv), items.map((x) => x.position)],
    );
  }

  private async categories(c: PoolClient, changes: Change<Category>[]): Promise<void> {
    const rows = live(changes).map((x) => x.row);
    if (rows.length > 0) {
      await c.query(
        `INSERT INTO categories (tenant_id, category_id, parent_id, name, path, position, rowversion, updated_at, deleted_at)
         SELECT $1, x.id, x.parent, x.name, ARRAY(SELECT json_array_elements_text(x.path::json)), x.pos, x.rv, now(), NULL
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[]) AS x(id, parent, name, path, pos, rv)
         ON CONFLICT (tenant_id, category_id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name, path = excluded.path,
           position = excluded.position, rowversion = excluded.rowversion, updated_at = now(), deleted_at = NULL
         WHERE categories.rowversion <= excluded.rowversion`,
        [this.tenantId, rows.map((r) => r.categoryId), rows.map((r) => r.parentId), rows.map((r) => r.name), rows.map((r) => JSON.stringify(r.path)), rows.map((r) => r.position), rows.map((r) => r.rowversion)],
      );
    }
    const deleted = gone(changes);
    if (deleted.length > 0) await c.query(`UPDATE categories SET deleted_at = now() WHERE tenant_id = $1 AND category_id = ANY($2::text[])`, [this.tenantId, deleted]);
  }

  /** Persists where the run is (stage, cursors, horizon) and, when known, its size. */
  async saveCursor(cursor: SyncCursor, rowsTotal?: number): Promise<void> {
    await this.pool.query(
      `UPDATE sync_runs SET stage = $3, cursor = $4, rows_total = COALESCE($5, rows_total), updated_at = now() WHERE tenant_id = $1 AND run_id = $2`,
      [this.tenantId, this.runId, cursor.stage ?? "pending", JSON.stringify(cursor), rowsTotal ?? null],
    );
  }

  /** Where the run is, as the batches committed so far left it. */
  async readCursor(): Promise<SyncCursor> {
    const r = await this.pool.query(`SELECT cursor FROM sync_runs WHERE tenant_id = $1 AND run_id = $2`, [this.tenantId, this.runId]);
    return (r.rows[0] as { cursor: SyncCursor } | undefined)?.cursor ?? {};
  }

  /** Moves an entity's checkpoint without rows (its data came inline with another stage). */
  async advanceCheckpoint(entity: SyncEntity, rowversion: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO sync_checkpoints (tenant_id, entity, rowversion, run_id, newest_change_at, updated_at)
       SELECT $1, $2::text, $3, $4, (SELECT newest_change_at FROM sync_checkpoints WHERE tenant_id = $1 AND entity = 'articles'), now()
       ON CONFLICT (tenant_id, entity) DO UPDATE SET rowversion = GREATEST(sync_checkpoints.rowversion, excluded.rowversion), run_id = excluded.run_id,
         newest_change_at = GREATEST(sync_checkpoints.newest_change_at, excluded.newest_change_at), updated_at = now()`,
      [this.tenantId, entity, rowversion, this.runId],
    );
  }

  /**
   * Ends the run: a full run deletes what it did not see (gone from the ERP); the catalog
   * version moves so search caches drop what they hold.
   */
  async finish(): Promise<{ deleted: number; catalogVersion: number }> {
    return this.tx(async (c) => {
      let deleted = 0;
      if (this.mode === "full") {
        // Fresh statistics first: with stale ones the planner picks a nested loop over the
        // seen-set and the sweep takes minutes instead of a second.
        await c.query(`ANALYZE sync_seen`);
        await c.query(`ANALYZE articles`);
        const r = await c.query(
          `UPDATE articles a SET deleted_at = now(), updated_at = now()
           WHERE a.tenant_id = $1 AND a.deleted_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM sync_seen s WHERE s.tenant_id = $1 AND s.run_id = $2 AND s.article_id = a.article_id)
           RETURNING a.article_id`,
          [this.tenantId, this.runId],
        );
        deleted = r.rowCount ?? 0;
        if (deleted > 0) {
          const ids = r.rows.map((x: { article_id: string }) => x.article_id);
          await c.query(`DELETE FROM media WHERE tenant_id = $1 AND article_id = ANY($2::text[])`, [this.tenantId, ids]);
          await c.query(`DELETE FROM cross_references WHERE tenant_id = $1 AND article_id = ANY($2::text[])`, [this.tenantId, ids]);
        }
        await c.query(`DELETE FROM sync_seen WHERE tenant_id = $1 AND run_id = $2`, [this.tenantId, this.runId]);
      }
      const v = await c.query(`UPDATE tenants SET catalog_version = catalog_version + 1 WHERE tenant_id = $1 RETURNING catalog_version`, [this.tenantId]);
      await c.query(`UPDATE sync_runs SET status = 'succeeded', stage = 'done', finished_at = now(), updated_at = now() WHERE tenant_id = $1 AND run_id = $2`, [this.tenantId, this.runId]);
      return { deleted, catalogVersion: Number((v.rows[0] as { catalog_version: string | number }).catalog_version) };
    });
  }
}
