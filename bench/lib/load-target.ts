import pg from "pg";
import type { ErpDatabase } from "../../connector-host/simulator/store.ts";

/** Up to `n` customers of the ERP that may order (blocked ones are rejected by the ERP, by design). */
export function orderingCustomers(erp: ErpDatabase, n: number): string[] {
  const out: string[] = [];
  for (let i = 1; out.length < n && i < n * 4; i++) {
    const id = `K${10000 + i}`;
    const c = erp.customer(id);
    if (c && !c.blocked) out.push(id);
  }
  return out;
}

/**
 * The synced article ids and what storefront shoppers type: the words of the article names and,
 * for a fifth of the terms, article numbers (the exact-number path of search).
 */
export async function syncedCatalog(databaseUrl: string, tenantId: string, maxWords = 400): Promise<{ articleIds: string[]; searchTerms: string[] }> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const rows = await db.query<{ article_id: string; article_number: string | null }>(`SELECT article_id, article_number FROM articles WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY article_id`, [tenantId]);
    const words = (await db.query<{ word: string }>(`SELECT word FROM search_words WHERE tenant_id = $1 AND length(word) >= 4 ORDER BY word LIMIT $2`, [tenantId, maxWords])).rows.map((r) => r.word);
    const every = Math.max(1, Math.floor(rows.rows.length / Math.max(1, Math.ceil(words.length / 4))));
    const numbers = rows.rows.filter((r, i) => i % every === 0 && r.article_number).map((r) => r.article_number!);
    return { articleIds: rows.rows.map((r) => r.article_id), searchTerms: [...words, ...numbers] };
  } finally {
    await db.end();
  }
}

/** Orders the edge accepted vs the ERP: each must be there exactly once (reference B2X-<orderId>). */
export function accountOrders(erp: ErpDatabase, accepted: string[]): { accepted: number; inErp: number; missing: number; duplicated: number } {
  const counts = new Map<string, number>();
  for (const row of erp.sql.prepare("SELECT external_ref FROM orders WHERE external_ref LIKE 'B2X-%'").all() as { external_ref: string }[]) {
    counts.set(row.external_ref, (counts.get(row.external_ref) ?? 0) + 1);
  }
  let missing = 0;
  let duplicated = 0;
  for (const id of accepted) {
    const n = counts.get(`B2X-${id}`) ?? 0;
    if (n === 0) missing++;
    if (n > 1) duplicated += n - 1;
  }
  return { accepted: accepted.length, inErp: accepted.length - missing, missing, duplicated };
}
