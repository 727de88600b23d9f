import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { SYSTEM_TENANT } from "../../schema/index.ts";
import { actorName, tokenFingerprint } from "../lib/admin-principal.ts";
import { type AuditEntry, audit } from "../lib/audit.ts";
import { bearerToken } from "../lib/credentials.ts";
import type { AppEnv } from "../types.ts";

/** What a route adds to its audit entry: the domain action and its target. */
export interface AdminAuditEvent {
  action: string;
  target?: string;
  /** The tenant the action is about, when the path does not name it (e.g. tenant creation). */
  tenantId?: string;
  details?: Record<string, unknown>;
}

/** Called by admin routes: names the action of the one entry the audit middleware writes. */
export function auditEvent(c: Context<AppEnv>, event: AdminAuditEvent): void {
  c.set("auditEvent", event);
}

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const TENANT_IN_PATH = /\/tenants\/([a-z0-9][a-z0-9-]{1,62})(?:\/|$)/;

/**
 * One audit entry per mutating admin request, refused ones included (bad token, bad input, not
 * found): who (token fingerprint and name, or the ops session), what (method, route, tenant,
 * action, status), when, and from where (client address, user agent). Written after the
 * response is known and before it leaves, so a caller that gets its answer finds the entry.
 */
export const adminAudit = createMiddleware<AppEnv>(async (c, next) => {
  if (READ_METHODS.has(c.req.method)) return next();
  await next();
  const entry = await entryOf(c);
  try {
    await audit(c.var.db(), entry);
  } catch (err) {
    // The log line keeps the entry when the database cannot: nothing is lost silently.
    c.var.log("error", "audit entry not written", { error: String(err), audit: entry });
  }
});

async function entryOf(c: Context<AppEnv>): Promise<AuditEntry> {
  const event = c.get("auditEvent");
  const admin = c.get("admin");
  const url = new URL(c.req.url);
  const status = c.res.status;
  const route = matchedRoutes(c).filter((r) => r.method !== "ALL").at(-1)?.path ?? url.pathname;
  const given = bearerToken(c.req.header("authorization"));
  const name = admin?.name ?? actorName(c.req.header("x-admin-actor"));
  // A refused caller is still identified, by the fingerprint of what it presented.
  const actor = admin?.actor ?? (given ? `refused token:${await tokenFingerprint(given)}` : "anonymous");
  return {
    tenantId: event?.tenantId ?? TENANT_IN_PATH.exec(url.pathname)?.[1] ?? SYSTEM_TENANT,
    actor,
    action: event?.action ?? `${c.req.method.toLowerCase()} ${route}`,
    target: event?.target ?? "",
    requestId: c.var.requestId,
    details: {
      method: c.req.method,
      route,
      path: url.pathname,
      status,
      outcome: status < 400 ? "ok" : status === 401 || status === 403 ? "refused" : "failed",
      via: admin?.via ?? "none",
      ...(name && { actorName: name }),
      ip: clientAddress(c),
      userAgent: (c.req.header("user-agent") ?? "").slice(0, 256),
      traceId: c.var.trace.traceId,
      ...event?.details,
    },
  };
}

/** Cloudflare's client address; behind another proxy, the first x-forwarded-for hop. */
function clientAddress(c: Context<AppEnv>): string {
  const cf = c.req.header("cf-connecting-ip");
  const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
  return (cf ?? forwarded ?? "").slice(0, 64);
}
