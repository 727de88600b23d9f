/**
 * Credentials carry who they belong to: `b2x_<kind>_<tenantId>_<id>_<secret>`. The tenant and
 * id make the lookup a primary-key read (and let a router pick the tenant's ring without a
 * database); only a SHA-256 of the whole credential is stored. 256-bit random secrets make a
 * slow password hash unnecessary.
 */
export type CredentialKind = "sk" | "ct";

export interface ParsedCredential {
  kind: CredentialKind;
  tenantId: string;
  id: string;
}

const TENANT_ID = "[a-z0-9][a-z0-9-]{1,62}";
const FORMAT = new RegExp(`^b2x_(sk|ct)_(${TENANT_ID})_([0-9a-f]{16})_[0-9a-f]{64}$`);

export function parseCredential(raw: string, kind: CredentialKind): ParsedCredential | null {
  const m = FORMAT.exec(raw);
  if (!m || m[1] !== kind) return null;
  return { kind, tenantId: m[2]!, id: m[3]! };
}

function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function generateCredential(kind: CredentialKind, tenantId: string): { id: string; secret: string } {
  const id = randomHex(8);
  return { id, secret: `b2x_${kind}_${tenantId}_${id}_${randomHex(32)}` };
}

export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two hex digests in constant time (Workers' timingSafeEqual where available). */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  const subtle = crypto.subtle as typeof crypto.subtle & { timingSafeEqual?: (x: ArrayBufferView, y: ArrayBufferView) => boolean };
  if (subtle.timingSafeEqual) return subtle.timingSafeEqual(ea, eb);
  let diff = 0;
  for (let i = 0; i < ea.length; i++) diff |= ea[i]! ^ eb[i]!;
  return diff === 0;
}

/** The bearer token of an `Authorization` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}
