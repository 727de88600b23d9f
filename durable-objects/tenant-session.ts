import { DurableObject } from "cloudflare:workers";

export interface SessionInfo {
  tenantId: string;
  /** How many calls this object has served since it was created (persisted in DO SQLite). */
  calls: number;
  createdAt: string;
}

/**
 * One per tenant (`idFromName(tenantId)`), single-threaded: it will own the tenant's connector
 * sockets and serialize every live ERP call (tunnel, cache, coalescing and outbox come with
 * their issues). State that must survive eviction lives in its SQLite storage.
 */
export class TenantSession extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  }

  /** Binds the object to its tenant on first use and refuses to serve any other. */
  private bindTenant(tenantId: string): void {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'tenant_id'`).toArray()[0];
    if (!row) {
      this.sql.exec(`INSERT INTO meta (key, value) VALUES ('tenant_id', ?), ('created_at', ?)`, tenantId, new Date().toISOString());
    } else if (row.value !== tenantId) {
      throw new Error(`TenantSession of '${row.value}' was addressed as '${tenantId}'`);
    }
  }

  /** A trivial round trip that proves the binding and the SQLite storage work. */
  async info(tenantId: string): Promise<SessionInfo> {
    this.bindTenant(tenantId);
    this.sql.exec(
      `INSERT INTO meta (key, value) VALUES ('calls', '1')
       ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
    );
    const meta = Object.fromEntries(this.sql.exec<{ key: string; value: string }>(`SELECT key, value FROM meta`).toArray().map((r) => [r.key, r.value]));
    return { tenantId, calls: Number(meta.calls), createdAt: String(meta.created_at) };
  }
}
