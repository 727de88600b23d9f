import { getSignedCookie, setSignedCookie, deleteCookie } from "hono/cookie";
import type { Context } from "hono";
import type { AppEnv } from "../types.ts";

/** The ops page's login session: a signed cookie holding the admin's name and its expiry. */
export const SESSION_COOKIE = "b2x_ops";
export const SESSION_TTL_SECONDS = 8 * 60 * 60;

interface OpsSession {
  name: string;
  fingerprint: string;
  expiresAt: number;
}

/**
 * Signed with a key derived from the admin token: rotating the token ends every session, and no
 * second secret has to be deployed. Strict same-site, so other sites cannot ride on it.
 */
const signingKey = (adminToken: string) => `b2x-ops-session:${adminToken}`;
const secure = (c: Context<AppEnv>) => new URL(c.req.url).protocol === "https:";

export async function startSession(c: Context<AppEnv>, name: string, fingerprint: string): Promise<void> {
  const session: OpsSession = { name, fingerprint, expiresAt: Date.now() + SESSION_TTL_SECONDS * 1000 };
  await setSignedCookie(c, SESSION_COOKIE, btoa(JSON.stringify(session)), signingKey(c.env.ADMIN_TOKEN), {
    httpOnly: true, secure: secure(c), sameSite: "Strict", path: "/", maxAge: SESSION_TTL_SECONDS,
  });
}

export function endSession(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: secure(c) });
}

/** The session of a valid, unexpired cookie; undefined for none, a forged one or an old one. */
export async function readSession(c: Context<AppEnv>): Promise<OpsSession | undefined> {
  if (!c.env.ADMIN_TOKEN) return undefined;
  const raw = await getSignedCookie(c, signingKey(c.env.ADMIN_TOKEN), SESSION_COOKIE);
  if (!raw) return undefined;
  try {
    const s = JSON.parse(atob(raw)) as Partial<OpsSession>;
    if (typeof s.name !== "string" || typeof s.fingerprint !== "string" || typeof s.expiresAt !== "number" || s.expiresAt <= Date.now()) return undefined;
    return { name: s.name, fingerprint: s.fingerprint, expiresAt: s.expiresAt };
  } catch {
    return undefined;
  }
}
