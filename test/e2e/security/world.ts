import { randomUUID } from "node:crypto";
import pg from "pg";
import { beforeEach, expect, inject } from "vitest";
import { recordScenario } from "../../support/scenario-log.ts";
import { http } from "../client.ts";
import { type LiveTenant, liveTenant } from "../tenant-fixture.ts";

/** `B2X_SOAK=1` (npm run bench -- soak) multiplies fuzz runs and floods; CI runs the bounded size. */
export const SOAK = process.env.B2X_SOAK === "1";
export const scaled = (ci: number, soak = ci * 10) => (SOAK ? soak : ci);

export const address = { name: "Müller Haustechnik GmbH", street: "Industriestraße 12", postalCode: "70565", city: "Stuttgart", country: "DE" };

/** Rows a sync would leave in Postgres, written directly (these tests are about access, not sync). */
export async function seedCatalog(tenantId: string, rows: { articleId: string; name: string }[]): Promise<void> {
  const db = new pg.Client({ connectionString: inject("stackDatabaseUrl") });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO articles (tenant_id, article_id, rowversion, article_number, name)
       SELECT $1, r.id, 1, 'SW-' || r.id, r.name FROM unnest($2::text[], $3::text[]) AS r(id, name) ON CONFLICT DO NOTHING`,
      [tenantId, rows.map((r) => r.articleId), rows.map((r) => r.name)],
    );
  } finally {
    await db.end();
  }
}

/** A tenant with a connector, a synced catalog (common articles plus one only it has) and an order. */
export interface SecuredTenant extends LiveTenant {
  /** An article id only this tenant has, whose name is `marker`. */
  ownArticle: string;
  marker: string;
  customer: string;
  customerTokenValue: string;
  /** A connector token of its connector id "werk-1". */
  connectorTokenValue: string;
  orderId: string;
  erpOrderNo: string;
}

const COMMON = Array.from({ length: 20 }, (_, i) => String(1_000_001 + i));

async function securedTenant(label: string, seed: number): Promise<SecuredTenant> {
  const t = await liveTenant({}, { seed, articles: 200, customers: 50 });
  const suffix = t.tenantId.replace(/[^a-z0-9]/g, "");
  const marker = `Tresorschloss${label}${suffix}`;
  const ownArticle = `${label}-${suffix}`;
  await seedCatalog(t.tenantId, [...COMMON.map((id) => ({ articleId: id, name: `Artikel ${id}` })), { articleId: ownArticle, name: marker }]);
  await t.startConnector();
  const connectorTokenValue = await t.connectorToken("werk-1");
  const customer = "K10003";
  const token = await t.customerToken(customer);
  const res = await http("/v1/orders", {
    method: "POST", token: t.apiKey, headers: { "x-customer-token": token, "idempotency-key": randomUUID() },
    json: { lines: [{ articleId: COMMON[0]!, quantity: 2 }], deliveryAddress: address, customerReference: `PO-${marker}` },
  });
  if (res.status !== 201) throw new Error(`order for ${label}: ${res.status} ${JSON.stringify(res.body)}`);
  return Object.assign(t, { ownArticle, marker, customer, customerTokenValue: token, connectorTokenValue, orderId: res.body.orderId as string, erpOrderNo: res.body.erpOrderNo as string });
}

/** Two tenants whose simulated ERPs differ (other seeds), so any answer shows whose data it is. */
export async function twoTenants(): Promise<{ a: SecuredTenant; b: SecuredTenant }> {
  const a = await securedTenant("a", 1001);
  const b = await securedTenant("b", 2002);
  return { a, b };
}

/** What only `t` has and no other tenant may ever see (ids the caller itself sent are excluded). */
export function secretsOf(t: SecuredTenant): string[] {
  return [t.tenantId, t.marker, t.orderId, t.erpOrderNo, `PO-${t.marker}`];
}

/**
 * A response never carries a stack trace, an internal path, or one of `secrets` (another
 * tenant's) that the caller did not send itself. The caller's own values are cut out first, so
 * an id that happens to contain another's (or an ERP number both ERPs gave out) is no false alarm.
 */
export function expectNoLeak(what: string, status: number, bodyText: string, secrets: string[], own: string[] = [], sent = ""): void {
  let text = bodyText;
  for (const o of [...own].sort((x, y) => y.length - x.length)) if (o) text = text.split(o).join("");
  const visible = secrets.filter((s) => s && !sent.includes(s) && !own.includes(s));
  for (const s of visible) expect(text.includes(s), `${what}: response leaks '${s}'`).toBe(false);
  expect(bodyText, `${what}: stack trace in body`).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+|Error: .*\n\s+at /);
  expect(status, `${what}: ${status} ${bodyText.slice(0, 300)}`).not.toBe(500);
}

/** Error bodies follow the contract's envelope. */
export function expectEnvelope(what: string, status: number, body: unknown): void {
  if (status < 400) return;
  expect(body, `${what}: error body ${JSON.stringify(body)?.slice(0, 200)}`).toMatchObject({ error: { code: expect.any(String), message: expect.any(String), requestId: expect.any(String) } });
}

/**
 * Call at the top of a security test file: a failing test is recorded as a failed scenario
 * (passing tests record their own line with their figures), so the soak report shows it.
 */
export function recordFailures(suite = "security"): void {
  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(({ task: failed }) => {
      const message = failed.result?.errors?.[0]?.message ?? "failed";
      recordScenario({ suite, name: task.name, passed: false, notes: message.slice(0, 300) });
    });
  });
}

/** A test's timeout, ten times longer under B2X_SOAK (its runs are ten times as many). */
export const soakTimeout = (ms: number) => (SOAK ? ms * 10 : ms);
