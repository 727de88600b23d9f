import { createMiddleware } from "hono/factory";
import { unauthorized } from "../errors.ts";
import { bearerToken, digestsEqual, sha256Hex } from "../lib/credentials.ts";
import type { AppEnv } from "../types.ts";

/** Shorter admin tokens are refused outright, so a weak secret cannot be deployed by accident. */
const MIN_ADMIN_TOKEN_LENGTH = 24;

export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  const given = bearerToken(c.req.header("authorization"));
  if (!expected || expected.length < MIN_ADMIN_TOKEN_LENGTH || !given) throw unauthorized();
  // Hash both sides so the comparison is constant-time and length-independent.
  if (!digestsEqual(await sha256Hex(given), await sha256Hex(expected))) throw unauthorized();
  await next();
});
