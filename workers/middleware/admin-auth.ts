import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { unauthorized } from "../errors.ts";
import { actorName, principal, tokenFingerprint } from "../lib/admin-principal.ts";
import { bearerToken, digestsEqual, sha256Hex } from "../lib/credentials.ts";
import { readSession } from "../lib/ops-session.ts";
import type { AppEnv } from "../types.ts";

/** Shorter admin tokens are refused outright, so a weak secret cannot be deployed by accident. */
const MIN_ADMIN_TOKEN_LENGTH = 24;

/** True when `given` is the configured admin token (constant-time, length-independent). */
export async function isAdminToken(c: Context<AppEnv>, given: string | null | undefined): Promise<boolean> {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected || expected.length < MIN_ADMIN_TOKEN_LENGTH || !given) return false;
  // Hash both sides so the comparison is constant-time and length-independent.
  return digestsEqual(await sha256Hex(given), await sha256Hex(expected));
}

/**
 * The admin bearer token, or, for reads only, the ops page's session cookie. Mutations always
 * need the token: a cookie rides along with any request the browser makes, a header does not.
 */
export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const given = bearerToken(c.req.header("authorization"));
  if (given) {
    if (!(await isAdminToken(c, given))) throw unauthorized();
    c.set("admin", principal("token", await tokenFingerprint(given), actorName(c.req.header("x-admin-actor"))));
    return next();
  }
  const session = c.req.method === "GET" || c.req.method === "HEAD" ? await readSession(c) : undefined;
  if (!session) throw unauthorized();
  c.set("admin", principal("session", session.fingerprint, session.name));
  await next();
});
