import { RING_ORDER, type Ring } from "./rings.ts";
import { type RolloutState, currentOf } from "./state.ts";

export interface RingVersion {
  versionId: string | null;
  buildId: string | null;
  percentage: number | null;
  /** In a percentage deployment, the version serving the rest. */
  alongside: string | null;
}

export interface RolloutMap {
  rings: Record<Ring, RingVersion>;
  /** tenant id → its ring and what that ring runs (when the tenants could be listed). */
  tenants: Record<string, { ring: Ring } & RingVersion>;
}

export interface TenantRing {
  tenantId: string;
  rolloutRing: Ring;
}

/** The tenant → ring → version map the CLI prints and records. */
export function rolloutMap(state: RolloutState, tenants: TenantRing[] = []): RolloutMap {
  const rings = Object.fromEntries(
    RING_ORDER.map((r) => {
      const d = currentOf(state, r);
      return [r, { versionId: d?.versionId ?? null, buildId: d?.buildId ?? null, percentage: d?.percentage ?? null, alongside: d?.alongside ?? null }];
    }),
  ) as Record<Ring, RingVersion>;
  const byTenant = Object.fromEntries(tenants.map((t) => [t.tenantId, { ring: t.rolloutRing, ...rings[t.rolloutRing] }]));
  return { rings, tenants: byTenant };
}

export function formatMap(map: RolloutMap): string {
  const v = (x: RingVersion) => (x.versionId ? `${x.versionId} (build ${x.buildId}, ${x.percentage}%${x.alongside ? `, rest on ${x.alongside}` : ""})` : "(nothing deployed)");
  const lines = RING_ORDER.map((r) => `  ring ${r.padEnd(7)} → ${v(map.rings[r])}`);
  const tenants = Object.entries(map.tenants);
  if (tenants.length) lines.push(...tenants.map(([id, t]) => `  tenant ${id} → ${t.ring} → ${t.versionId ?? "(nothing deployed)"}`));
  return lines.join("\n");
}
