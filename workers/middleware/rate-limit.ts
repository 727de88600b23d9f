import { createMiddleware } from "hono/factory";
import { AppError } from "../errors.ts";
import type { AppEnv } from "../types.ts";

interface Bucket {
  tokens: number;
  updated: number;
}
const buckets = new Map<string, Bucket>();

/**
 * Takes one token from the bucket `key` refilled at `perMinute` (burst: a tenth of it).
 * Returns 0 when allowed, else the seconds until a token is back.
 */
export function takeToken(key: string, perMinute: number): number {
  const capacity = Math.max(1, Math.ceil(perMinute / 10));
  const now = Date.now();
  const b = buckets.get(key) ?? { tokens: capacity, updated: now };
  b.tokens = Math.min(capacity, b.tokens + ((now - b.updated) * perMinute) / 60_000);
  b.updated = now;
  if (b.tokens < 1) {
    buckets.set(key, b);
    return Math.max(1, Math.ceil(((1 - b.tokens) * 60) / perMinute));
  }
  b.tokens -= 1;
  if (buckets.size > 10_000) buckets.clear();
  buckets.set(key, b);
  return 0;
}

export const rateLimited = (perMinute: number, waitSeconds: number, what = "requests") =>
  new AppError(429, "rate_limited", `Rate limit of ${perMinute} ${what} per minute exceeded`, undefined, { "retry-after": String(waitSeconds) });

/**
 * Per-tenant token bucket (the tenant config's requestsPerMinute, with a burst of a tenth of
 * it): a flood from one tenant gets 429 with Retry-After and never slows another tenant. The
 * bucket lives in the isolate, so it costs no round trip; with many isolates the limit is per
 * isolate, which bounds each edge location rather than the tenant worldwide.
 */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const { tenantId, config } = c.var.tenant;
  const perMinute = config.rateLimit.requestsPerMinute;
  const wait = takeToken(tenantId, perMinute);
  if (wait > 0) throw rateLimited(perMinute, wait);
  await next();
});
