import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { tenants } from "../../schema/index.ts";
import { type Database, openDatabase } from "../db/client.ts";
import type { AppEnv } from "../types.ts";
import type { SearchContext } from "./query.ts";

/** The tenant's catalog version (moves when a sync commits): the key of every search cache. */
export async function catalogVersion(db: Database, tenantId: string): Promise<number | undefined> {
  const [row] = await db.select({ version: tenants.catalogVersion }).from(tenants).where(eq(tenants.tenantId, tenantId));
  return row?.version;
}

/** Runs `p` after the response when the runtime allows it (not under `app.request` in tests). */
export function afterResponse(c: Context<AppEnv>, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    /* no execution context: the promise still runs, nobody waits for it */
  }
}

/**
 * What a request's search may use: the catalog version, and background work (summaries of slow
 * queries, hit counts) on a database handle of its own, since the request's pool closes with
 * the response. Background failures are logged, never surfaced: they only cost speed.
 */
export function searchContext(c: Context<AppEnv>, version: number | undefined): SearchContext {
  return {
    ...(version !== undefined && { catalogVersion: version }),
    background: (work) =>
      afterResponse(
        c,
        (async () => {
          const handle = openDatabase(c.env);
          try {
            await work(handle.db);
          } finally {
            await handle.pool.end().catch(() => {});
          }
        })().catch((err: unknown) => c.var.log("warn", "search background work failed", { error: String(err) })),
      ),
  };
}
