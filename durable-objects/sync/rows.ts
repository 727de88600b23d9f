import { z } from "zod";

/**
 * What a connector may send in a sync chunk, validated before anything is written: one bad row
 * fails the chunk (and the run) with its entity, key and field named, and no checkpoint moves.
 */
const id = z.string().min(1).max(64);
const rowversion = z.number().int().nonnegative();
const changedAt = z.string().max(40).refine((s) => !Number.isNaN(Date.parse(s)), "not a timestamp");

const attributeItem = z.object({ key: z.string().min(1).max(200), value: z.string().max(2_000), unit: z.string().max(32).nullable(), position: z.number().int() });

export const articleRow = z.object({
  articleId: id,
  articleNumber: z.string().min(1).max(128),
  name: z.string().min(1).max(1000),
  description: z.string().max(20_000),
  brand: z.string().max(200).nullable(),
  ean: z.string().max(32).nullable(),
  manufacturerNumber: z.string().max(128).nullable(),
  categoryIds: z.array(id).max(100),
  rowversion,
  changedAt,
  /** Requested inline (withAttributes), so an article and its Merkmale are one write. */
  attributes: z.array(attributeItem).max(5_000),
});

const childSet = <T extends z.ZodType>(item: T) => z.object({ articleId: id, rowversion, changedAt, items: z.array(item).max(5_000) });
export const attributeSet = childSet(attributeItem);
export const mediaSet = childSet(z.object({ mediaId: z.string().min(1).max(128), kind: z.enum(["image", "datasheet", "drawing", "video"]), url: z.string().min(1).max(2_000), alt: z.string().max(500), position: z.number().int() }));
export const crossRefSet = childSet(z.object({ kind: z.enum(["accessory", "replacement", "similar", "spare_part"]), targetArticleId: id, position: z.number().int() }));
export const categoryRow = z.object({ categoryId: id, parentId: id.nullable(), name: z.string().min(1).max(500), path: z.array(id).max(20), position: z.number().int(), rowversion, changedAt });

export const ENTITY_ROWS = { articles: articleRow, attributes: attributeSet, media: mediaSet, cross_references: crossRefSet, categories: categoryRow } as const;
export type SyncEntity = keyof typeof ENTITY_ROWS;
export const STAGES: SyncEntity[] = ["articles", "attributes", "media", "cross_references", "categories"];

export type Change<T> = { rowversion: number; key: string; deleted: false; row: T } | { rowversion: number; key: string; deleted: true; row: null };

export class ChunkValidationError extends Error {
  constructor(entity: string, index: number, key: string, path: string, message: string) {
    super(`invalid ${entity} row #${index} (key '${key}'): ${path || "(row)"}: ${message}`);
    this.name = "ChunkValidationError";
  }
}

/** A validated chunk: its changes in stream order, and where it ends. */
export interface ValidChunk<T = unknown> {
  changes: Change<T>[];
  /** Rowversion of the chunk's last row: the checkpoint once it is written. */
  lastRowversion: number;
}

/** Validates a chunk of change rows for an entity; throws naming the first bad row. */
export function validateChunk<E extends SyncEntity>(entity: E, rows: unknown[]): ValidChunk<z.output<(typeof ENTITY_ROWS)[E]>> {
  const schema = ENTITY_ROWS[entity];
  const out: ValidChunk<z.output<(typeof ENTITY_ROWS)[E]>> = { changes: [], lastRowversion: 0 };
  rows.forEach((raw, index) => {
    const r = raw as { rowversion?: unknown; key?: unknown; deleted?: unknown; row?: unknown };
    const key = typeof r?.key === "string" ? r.key : "?";
    if (typeof r !== "object" || r === null) throw new ChunkValidationError(entity, index, key, "", "not an object");
    if (typeof r.rowversion !== "number" || !Number.isSafeInteger(r.rowversion) || r.rowversion < 0) throw new ChunkValidationError(entity, index, key, "rowversion", "must be a non-negative integer");
    if (typeof r.key !== "string" || r.key.length === 0 || r.key.length > 64) throw new ChunkValidationError(entity, index, key, "key", "must be a string of 1-64 characters");
    out.lastRowversion = r.rowversion;
    if (r.deleted === true) {
      out.changes.push({ rowversion: r.rowversion, key: r.key, deleted: true, row: null });
      return;
    }
    const parsed = schema.safeParse(r.row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ChunkValidationError(entity, index, key, issue.path.join("."), issue.message);
    }
    out.changes.push({ rowversion: r.rowversion, key: r.key, deleted: false, row: parsed.data } as Change<z.output<(typeof ENTITY_ROWS)[E]>>);
  });
  return out;
}
