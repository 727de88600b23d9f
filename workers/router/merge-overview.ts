import type { Overview, RingStatus } from "../ops/overview-schema.ts";
import { DEFAULT_RING, type Ring } from "./rings.ts";

/** A ring's /v1/admin/overview document, or null with the reason when it did not answer. */
export interface RingOverview {
  ring: Ring;
  overview: Overview | null;
  error?: string;
}

/** As many recent errors as one ring shows (workers/ops/overview.ts). */
const RECENT_ERRORS = 20;
const NO_VERSION = { versionId: "", versionTag: "", versionTimestamp: "" };

/**
 * The rings' overviews as one: tenants and their sync runs concatenated by tenant id (a tenant
 * shown by several rings, as an older ring build would, is taken from the ring it lives in),
 * recent errors newest first, and every ring with its Worker version or why its part is missing.
 */
export function mergeOverviews(parts: readonly RingOverview[], now = new Date()): Overview {
  const answered = parts.filter((p): p is RingOverview & { overview: Overview } => p.overview !== null);
  const main = answered.find((p) => p.ring === DEFAULT_RING) ?? answered[0];
  const tenants = new Map<string, Overview["tenants"][number]>();
  for (const { ring, overview } of answered) {
    for (const t of overview.tenants) if (!tenants.has(t.tenantId) || t.ring === ring) tenants.set(t.tenantId, t);
  }
  const rings: RingStatus[] = parts.map((p) =>
    p.overview ? { ring: p.ring, ok: true, worker: p.overview.worker, error: null } : { ring: p.ring, ok: false, worker: null, error: p.error ?? "no answer" });
  return {
    generatedAt: now.toISOString(),
    worker: main?.overview.worker ?? NO_VERSION,
    rings,
    signedInAs: main?.overview.signedInAs ?? "",
    tenants: [...tenants.values()].sort((a, b) => a.tenantId.localeCompare(b.tenantId)),
    recentErrors: answered.flatMap((p) => p.overview.recentErrors).sort((a, b) => b.at.localeCompare(a.at)).slice(0, RECENT_ERRORS),
  };
}

/**
 * The router keeps zod out (it must stay thin), so a ring's document is checked only for the
 * parts the merge relies on; the ring Worker validated the whole of it on the way out.
 */
export function asOverview(value: unknown): Overview | null {
  if (typeof value !== "object" || value === null) return null;
  const o = value as Partial<Overview>;
  const ok = Array.isArray(o.tenants) && Array.isArray(o.recentErrors) && typeof o.worker === "object" && o.worker !== null && typeof o.signedInAs === "string";
  return ok ? (o as Overview) : null;
}
