import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { JWK } from "jose";
import { newCustomerSigningKey, signCustomerToken } from "./customer-keys.ts";

export interface DemoTenant {
  id: string;
  apiKey: string;
  customerToken: string;
  connectorToken: string;
  connectorId: string;
  customerId: string;
}

interface Admin {
  baseUrl: string;
  adminToken: string;
}

async function adminCall<T>(admin: Admin, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${admin.baseUrl}/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${admin.adminToken}`, ...(body !== undefined && { "content-type": "application/json" }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** The tenant's customer-token signing key: generated once, kept in the data directory. */
async function customerSigningKey(dataDir: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const file = join(dataDir, "demo-customer-signing-key.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8"));
  const keys = await newCustomerSigningKey(`demo-${Date.now().toString(36)}`);
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}


/**
 * Ensures the demo tenant exists with a working API key, connector token and customer token.
 * Credentials from an earlier start are reused while they still authenticate.
 */
export async function ensureDemoTenant(admin: Admin, dataDir: string, previous: DemoTenant | undefined): Promise<DemoTenant> {
  const id = "demo";
  const customerId = "K10001";
  const connectorId = "demo-connector-1";
  const { privateJwk, publicJwk } = await customerSigningKey(dataDir);
  const config = { customerTokens: { issuer: id, keys: [publicJwk] } };
  const created = await adminCall(admin, "POST", "/tenants", { tenantId: id, name: "Demo Großhandel GmbH", config });
  if (created.status !== 201 && created.status !== 409) throw new Error(`creating demo tenant: ${created.status} ${JSON.stringify(created.body)}`);

  let apiKey = previous?.id === id ? previous.apiKey : undefined;
  if (!apiKey || !(await keyWorks(admin.baseUrl, apiKey))) {
    const issued = await adminCall<{ key: string }>(admin, "POST", `/tenants/${id}/api-keys`, { name: "demo storefront" });
    apiKey = issued.body.key;
  }
  let connectorToken = previous?.id === id ? previous.connectorToken : undefined;
  const tokens = await adminCall<{ tokens: { tokenId: string; revokedAt: string | null }[] }>(admin, "GET", `/tenants/${id}/connector-tokens`);
  const active = new Set(tokens.body.tokens.filter((t) => !t.revokedAt).map((t) => t.tokenId));
  if (!connectorToken || !active.has(connectorToken.split("_")[3] ?? "")) {
    const issued = await adminCall<{ token: string }>(admin, "POST", `/tenants/${id}/connector-tokens`, { connectorId });
    connectorToken = issued.body.token;
  }
  return { id, apiKey, connectorToken, connectorId, customerId, customerToken: await signCustomerToken(privateJwk, id, customerId) };
}

async function keyWorks(baseUrl: string, key: string): Promise<boolean> {
  const res = await fetch(`${baseUrl}/v1/session`, { headers: { authorization: `Bearer ${key}` } });
  return res.status === 200;
}
