import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JWK } from "jose";
import { parseConnectorConfig } from "../../connector-host/runtime/config.ts";
import { type RunningConnector, startConnector } from "../../connector-host/runtime/connector.ts";
import { type Logger, silentLogger } from "../../connector-host/runtime/log.ts";
import type { SimConfig } from "../../connector-host/simulator/config.ts";
import { ErpDatabase } from "../../connector-host/simulator/store.ts";
import type { TenantConfigInput } from "../../schema/tenant-config.ts";
import { newCustomerSigningKey, signCustomerToken } from "../../scripts/local/customer-keys.ts";
import { adminHttp, baseUrl, http } from "./client.ts";

let seq = 0;
const cleanups: (() => Promise<void> | void)[] = [];

/** Runs the cleanups registered by the fixtures (call from afterEach/afterAll). */
export async function cleanupFixtures(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

export interface LiveTenant {
  tenantId: string;
  apiKey: string;
  erp: ErpDatabase;
  erpPath: string;
  privateJwk: JWK;
  /** Signs a customer token as the tenant's shop would. */
  customerToken(customerId: string, opts?: { expiresIn?: string; key?: JWK }): Promise<string>;
  connectorToken(connectorId: string): Promise<string>;
  /** `log` receives the connector's structured log lines (silent by default). */
  startConnector(connectorId?: string, overrides?: Record<string, unknown>, log?: Logger): Promise<RunningConnector>;
  get(path: string, customer?: string): ReturnType<typeof http>;
  post(path: string, json: unknown, customer?: string): ReturnType<typeof http>;
}

/** A tenant with keys, a customer-token key pair and its own simulated enventa database. */
export async function liveTenant(config: TenantConfigInput = {}, sim: Partial<SimConfig> = {}): Promise<LiveTenant> {
  const tenantId = `live-${Date.now().toString(36)}-${++seq}`;
  const kid = `k-${seq}`;
  const { privateJwk, publicJwk } = await newCustomerSigningKey(kid);
  const created = await adminHttp("/tenants", { method: "POST", json: { tenantId, name: tenantId, config: { ...config, customerTokens: { issuer: tenantId, keys: [publicJwk] } } } });
  if (created.status !== 201) throw new Error(`tenant: ${created.status} ${JSON.stringify(created.body)}`);
  const key = await adminHttp(`/tenants/${tenantId}/api-keys`, { method: "POST", json: {} });
  const dir = mkdtempSync(join(tmpdir(), "b2x-live-"));
  const erpPath = join(dir, "erp.db");
  const erp = ErpDatabase.create(erpPath, { articles: 500, customers: 100, loginMs: 20, ...sim });
  cleanups.push(() => {
    erp.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const t: LiveTenant = {
    tenantId,
    apiKey: key.body.key,
    erp,
    erpPath,
    privateJwk,
    customerToken: (customerId, opts = {}) => signCustomerToken(opts.key ?? privateJwk, tenantId, customerId, { kid, expiresIn: opts.expiresIn ?? "1h" }),
    async connectorToken(connectorId) {
      const r = await adminHttp(`/tenants/${tenantId}/connector-tokens`, { method: "POST", json: { connectorId } });
      return r.body.token as string;
    },
    async startConnector(connectorId = "werk-1", overrides = {}, log = silentLogger) {
      const token = await t.connectorToken(connectorId);
      const cfg = parseConnectorConfig({
        tenantId, connectorId, edgeUrl: baseUrl(), businessUnits: ["default"], allowedOperations: ["erp.*", "pim.*", "crm.*", "sys.*"],
        erp: { database: erpPath, keepAliveMs: 60_000, warmUp: true }, heartbeatMs: 1_000, reconnect: { minDelayMs: 50, maxDelayMs: 500 },
        healthPort: 0, drainTimeoutMs: 2_000, eventPollMs: 50, ...overrides,
      });
      const running = await startConnector(cfg, token, log);
      cleanups.push(() => running.stop());
      await waitUntil(async () => running.client.status.state === "open" && (await adminHttp(`/tenants/${tenantId}/connectors`)).body.connectors?.some((c: { connectorId: string; connected: boolean }) => c.connectorId === connectorId && c.connected));
      return running;
    },
    get: (path, customer) => http(path, { token: t.apiKey, ...(customer && { headers: { "x-customer-token": customer } }) }),
    post: (path, json, customer) => http(path, { method: "POST", json, token: t.apiKey, ...(customer && { headers: { "x-customer-token": customer } }) }),
  };
  return t;
}

export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
