import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { auditLog } from "../../../schema/index.ts";
import { queryParams } from "../../lib/validate.ts";
import type { AppEnv } from "../../types.ts";

export const auditQuery = z
  .object({
    tenantId: z.string().regex(/^(_system|[a-z0-9][a-z0-9-]{1,62})$/, "a tenant id or _system").optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    /** The `nextCursor` of the previous page: entries older than it. */
    cursor: z.string().regex(/^[1-9][0-9]{0,17}$/, "a cursor from a previous page").optional(),
  })
  .strict();

/** `GET /v1/admin/audit`: the audit log, newest first, optionally of one tenant, in keyset pages. */
export const auditRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const q = queryParams(c, auditQuery);
  const where: SQL[] = [];
  if (q.tenantId) where.push(eq(auditLog.tenantId, q.tenantId));
  if (q.cursor) where.push(lt(auditLog.eventId, Number(q.cursor)));
  const rows = await c.var.db().select().from(auditLog).where(and(...where)).orderBy(desc(auditLog.eventId)).limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return c.json({
    entries: page.map((r) => ({ eventId: String(r.eventId), tenantId: r.tenantId, at: r.at.toISOString(), actor: r.actor, action: r.action, target: r.target, requestId: r.requestId, details: r.details })),
    nextCursor: rows.length > q.limit ? String(page.at(-1)!.eventId) : null,
  });
});
