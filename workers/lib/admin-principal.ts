import { sha256Hex } from "./credentials.ts";

/**
 * Who made an admin request. There is one shared admin token, so the actor is a fingerprint of
 * the token (never the token) plus an optional name: `x-admin-actor` for API callers, the name
 * given at login for the ops page.
 */
export interface AdminPrincipal {
  actor: string;
  via: "token" | "session";
  tokenFingerprint: string;
  name?: string;
}

const ACTOR_NAME = /^[\p{L}\p{N} ._@+-]{1,64}$/u;

/** A short, stable, non-reversible id of a token: the first 12 hex digits of its SHA-256. */
export async function tokenFingerprint(token: string): Promise<string> {
  return (await sha256Hex(token)).slice(0, 12);
}

/** A caller-given actor name, if it is short and plain enough to log; otherwise none. */
export function actorName(raw: string | undefined): string | undefined {
  const name = raw?.trim();
  return name && ACTOR_NAME.test(name) ? name : undefined;
}

export function principal(via: AdminPrincipal["via"], fingerprint: string, name: string | undefined): AdminPrincipal {
  return { actor: name ? `${name} (token:${fingerprint})` : `token:${fingerprint}`, via, tokenFingerprint: fingerprint, ...(name && { name }) };
}
