import { and, eq, isNull, sql } from "drizzle-orm";
import { ROLLOUT_RINGS, type RolloutRing, connectorReleases, connectorRingHistory, connectorRingVersions, tenants } from "../../../schema/index.ts";
import { tenantConfigSchema } from "../../../schema/tenant-config.ts";
import type { Database } from "../../db/client.ts";
import { AppError, notFound } from "../../errors.ts";

/** The ring a version must have run in before it may enter this one (never all at once). */
export function previousRing(ring: RolloutRing): RolloutRing | undefined {
  const i = ROLLOUT_RINGS.indexOf(ring);
  return i > 0 ? ROLLOUT_RINGS[i - 1] : undefined;
}

export async function releaseRow(db: Database, version: string) {
  const [row] = await db.select().from(connectorReleases).where(eq(connectorReleases.version, version)).limit(1);
  return row;
}

export async function assertKnownRelease(db: Database, version: string): Promise<void> {
  if (!(await releaseRow(db, version))) throw notFound(`Connector release '${version}' is not uploaded`);
}

/**
 * Checks ring order: `version` may enter `ring` if the ring before it has run it at some point
 * (a rollback to a version every ring ran stays possible). Throws before anything changes.
 */
export async function assertRingOrder(db: Database, ring: RolloutRing, version: string): Promise<void> {
  const before = previousRing(ring);
  if (!before) return;
  const [ran] = await db
    .select({ version: connectorRingHistory.version })
    .from(connectorRingHistory)
    .where(and(eq(connectorRingHistory.ring, before), eq(connectorRingHistory.version, version)))
    .limit(1);
  if (!ran) throw new AppError(409, "ring_order_violation", `Connector ${version} has not run in ring '${before}' yet: roll it out there before '${ring}'`);
}

/** Sets the ring's version and records that the ring ran it; the caller's transaction. */
export async function setRingVersion(tx: Pick<Database, "insert">, ring: RolloutRing, version: string): Promise<void> {
  await tx
    .insert(connectorRingVersions)
    .values({ ring, version })
    .onConflictDoUpdate({ target: connectorRingVersions.ring, set: { version, updatedAt: sql`now()` } });
  await tx.insert(connectorRingHistory).values({ ring, version }).onConflictDoNothing();
}

export async function ringVersions(db: Database): Promise<Partial<Record<RolloutRing, { version: string; updatedAt: string }>>> {
  const rows = await db.select().from(connectorRingVersions);
  return Object.fromEntries(rows.map((r) => [r.ring, { version: r.version, updatedAt: r.updatedAt.toISOString() }]));
}

/** The ring version of a tenant's ring ("" when its ring has none yet). */
export async function ringVersionOfTenant(db: Database, tenantId: string): Promise<string> {
  const [row] = await db
    .select({ version: connectorRingVersions.version })
    .from(tenants)
    .innerJoin(connectorRingVersions, eq(connectorRingVersions.ring, tenants.rolloutRing))
    .where(eq(tenants.tenantId, tenantId))
    .limit(1);
  return row?.version ?? "";
}

/** Active tenants of a ring (to push a new ring version to their TenantSessions). */
export async function tenantsOfRing(db: Database, ring: RolloutRing): Promise<string[]> {
  const rows = await db.select({ tenantId: tenants.tenantId }).from(tenants).where(and(eq(tenants.rolloutRing, ring), isNull(tenants.disabledAt))).limit(10_000);
  return rows.map((r) => r.tenantId);
}

/**
 * Tenant isolation of downloads: a tenant gets a release only if it is its own override or a
 * version its ring has run. A version for another ring looks exactly like an unknown one.
 */
export async function entitledRelease(db: Database, tenantId: string, tenantConfig: Record<string, unknown>, version: string) {
  const row = await releaseRow(db, version);
  if (!row) return undefined;
  const override = tenantConfigSchema.safeParse(tenantConfig).data?.connectorRegistration.desiredConnectorVersion;
  if (override === version) return row;
  const [ran] = await db
    .select({ version: connectorRingHistory.version })
    .from(tenants)
    .innerJoin(connectorRingHistory, eq(connectorRingHistory.ring, tenants.rolloutRing))
    .where(and(eq(tenants.tenantId, tenantId), eq(connectorRingHistory.version, version)))
    .limit(1);
  return ran ? row : undefined;
}
