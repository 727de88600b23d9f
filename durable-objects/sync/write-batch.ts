import type { z } from "zod";
import type { Change, SyncEntity, ValidChunk, articleRow, attributeSet } from "./rows.ts";

type Article = z.output<typeof articleRow>;
type AttributeItem = z.output<typeof attributeSet>["items"][number];

/** "40" + "mm" -> "40 mm": attributes are stored as key -> display value. */
const attributeValue = (a: AttributeItem) => (a.unit ? `${a.value} ${a.unit}` : a.value);
export const attributesObject = (items: AttributeItem[]) => Object.fromEntries(items.map((a) => [a.key, attributeValue(a)]));

/**
 * Validated changes of one entity gathered for one write. Article rows (the bulk of a sync) are
 * turned into their JSON text for Postgres as each chunk arrives, so the parsed objects die young
 * instead of living on the heap until the batch is written: a live call would otherwise pay for
 * the major garbage collections that such long-lived graphs cause.
 */
export class WriteBatch {
  /** Change rows (live and deleted) in the batch. */
  size = 0;
  /** Rowversion of the last change: the checkpoint once the batch commits. */
  lastRowversion = 0;
  /** Newest change time of a live row (epoch ms), 0 if none. */
  newestChangeAt = 0;
  readonly deleted: { key: string; rowversion: number }[] = [];
  /** Live article ids, in stream order. */
  readonly liveArticleIds: string[] = [];
  /** Validated changes of the other entities (small rows; kept as they are). */
  readonly changes: Change<unknown>[] = [];
  private readonly articleJson: string[] = [];

  constructor(readonly entity: SyncEntity) {}

  add(chunk: ValidChunk): void {
    if (chunk.lastRowversion > 0) this.lastRowversion = chunk.lastRowversion;
    for (const change of chunk.changes) {
      this.size++;
      if (change.deleted) this.deleted.push({ key: change.key, rowversion: change.rowversion });
      else this.newestChangeAt = Math.max(this.newestChangeAt, Date.parse((change.row as { changedAt: string }).changedAt));
      if (this.entity !== "articles") this.changes.push(change);
      else if (!change.deleted) this.addArticle(change.row as Article);
    }
  }

  private addArticle(row: Article): void {
    this.liveArticleIds.push(row.articleId);
    this.articleJson.push(JSON.stringify({ ...row, attributes: attributesObject(row.attributes) }));
  }

  /** The live articles as one JSON array, for `json_to_recordset`. */
  articlesDocument(): string {
    return `[${this.articleJson.join(",")}]`;
  }
}
