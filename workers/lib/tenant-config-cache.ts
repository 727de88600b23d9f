import { type TenantConfig, tenantConfigSchema } from "../../schema/tenant-config.ts";

/** Parsed tenant configs per isolate, reparsed only when the config version moves. */
const parsed = new Map<string, { version: number; config: TenantConfig }>();

export function tenantConfig(tenantId: string, version: number, raw: unknown): TenantConfig {
  const hit = parsed.get(tenantId);
  if (hit && hit.version === version) return hit.config;
  const config = tenantConfigSchema.parse(raw ?? {});
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(tenantId, { version, config });
  return config;
}
