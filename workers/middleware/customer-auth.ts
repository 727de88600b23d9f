import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { AppError } from "../errors.ts";
import { sha256Hex } from "../lib/credentials.ts";
import { CUSTOMER_TOKEN_CLOCK_TOLERANCE_SECONDS } from "../lib/customer-token-policy.ts";
import type { AppEnv } from "../types.ts";

const ALGORITHMS = ["ES256", "ES384", "RS256", "PS256", "EdDSA"];
const CUSTOMER_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const keySets = new Map<string, { version: number; jwks: JWTVerifyGetKey }>();

/**
 * Verified customer tokens per isolate: a shopper sends the same token with every request, and
 * an ES256 verification per request is the largest CPU cost on the live path. Entries are keyed
 * by the token's SHA-256 (a digest is a fraction of a token's size, so 50,000 shoppers cost a
 * few MB, not tens), live for the token's remaining lifetime, and are dropped by a config
 * change (new keys): a token is valid until its expiry unless the tenant's keys change.
 */
const verified = new Map<string, { tenantId: string; configVersion: number; sub: string; until: number }>();

const invalid = (message: string) => new AppError(401, "unauthorized", message, undefined, { "www-authenticate": 'Bearer realm="b2x-customer"' });

/**
 * Customer-specific routes need `x-customer-token`: a JWT the tenant signs, verified with the
 * tenant's own public keys (never another tenant's), whose `sub` is the customer id.
 */
export const customerAuth = createMiddleware<AppEnv>(async (c, next) => {
  c.set("customerId", await verifyCustomer(c));
  await next();
});

export async function verifyCustomer(c: Context<AppEnv>): Promise<string> {
  const token = c.req.header("x-customer-token");
  if (!token) throw invalid("x-customer-token is required");
  const { tenantId, config, configVersion } = c.var.tenant;
  const now = Date.now();
  const digest = await sha256Hex(token);
  const known = verified.get(digest);
  if (known && known.tenantId === tenantId && known.configVersion === configVersion && known.until > now) return known.sub;
  const settings = config.customerTokens;
  if (settings.keys.length === 0) throw invalid("this tenant has no customer token keys configured");
  let set = keySets.get(tenantId);
  if (!set || set.version !== configVersion) {
    set = { version: configVersion, jwks: createLocalJWKSet({ keys: settings.keys as never }) };
    keySets.set(tenantId, set);
  }
  try {
    const { payload } = await jwtVerify(token, set.jwks, {
      algorithms: ALGORITHMS,
      clockTolerance: CUSTOMER_TOKEN_CLOCK_TOLERANCE_SECONDS,
      ...(settings.issuer && { issuer: settings.issuer }),
      ...(settings.audience && { audience: settings.audience }),
      requiredClaims: ["sub", "exp"],
    });
    if (!payload.sub || !CUSTOMER_ID.test(payload.sub)) throw invalid("customer token has no valid sub");
    // jose checks iat only with maxTokenAge; a token issued in the future is a wrong clock or a forgery.
    if (payload.iat !== undefined && payload.iat > now / 1000 + CUSTOMER_TOKEN_CLOCK_TOLERANCE_SECONDS) throw invalid("customer token rejected (iat is in the future)");
    if (verified.size >= 50_000) verified.clear();
    verified.set(digest, { tenantId, configVersion, sub: payload.sub, until: (payload.exp ?? 0) * 1000 });
    return payload.sub;
  } catch (err) {
    if (err instanceof AppError) throw err;
    const why = err instanceof joseErrors.JWTExpired ? "customer token has expired" : err instanceof joseErrors.JOSEError ? `customer token rejected (${err.code})` : "customer token rejected";
    throw invalid(why);
  }
}
