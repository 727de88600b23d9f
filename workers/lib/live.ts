import type { Context } from "hono";
import type { LiveError, LiveResult } from "../../durable-objects/errors.ts";
import type { TenantRef } from "../../durable-objects/tenant-session.ts";
import { AppError, type ErrorCode } from "../errors.ts";
import type { AppEnv } from "../types.ts";

const STATUS: Record<LiveError["code"], { status: 400 | 403 | 404 | 409 | 422 | 502 | 503 | 504; code: ErrorCode }> = {
  connector_offline: { status: 503, code: "connector_offline" },
  connector_disconnected: { status: 503, code: "connector_disconnected" },
  busy: { status: 503, code: "busy" },
  deadline_exceeded: { status: 504, code: "deadline_exceeded" },
  forbidden_operation: { status: 403, code: "forbidden_operation" },
  not_found: { status: 404, code: "not_found" },
  erp_error: { status: 502, code: "erp_error" },
  bad_request: { status: 400, code: "bad_request" },
  idempotency_conflict: { status: 409, code: "idempotency_conflict" },
  idempotency_key_reused: { status: 422, code: "idempotency_key_reused" },
  tenant_moving: { status: 503, code: "tenant_moving" },
  move_conflict: { status: 409, code: "conflict" },
};

/** The tenant's TenantSession stub and the reference the DO needs on every call. */
export function tenantSession(c: Context<AppEnv>): { stub: DurableObjectStub<import("../../durable-objects/tenant-session.ts").TenantSession>; ref: TenantRef } {
  const { tenantId, config, configVersion } = c.var.tenant;
  return { stub: c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId)), ref: { tenantId, config, configVersion } };
}

/** Runs a DO call and maps its failure to HTTP once; a DO that reset mid-call is a clear 503. */
export async function live<T>(call: () => Promise<LiveResult<T>>): Promise<T> {
  let result: LiveResult<T>;
  try {
    result = await call();
  } catch (err) {
    throw new AppError(503, "session_unavailable", `the tenant session was interrupted (${err instanceof Error ? err.message.slice(0, 120) : "unknown"}); retry`, undefined, { "retry-after": "1" });
  }
  if (result.ok) return result.value;
  const m = STATUS[result.error.code] ?? { status: 502, code: "erp_error" };
  const headers = result.error.retryAfter !== undefined ? { "retry-after": String(result.error.retryAfter) } : undefined;
  throw new AppError(m.status, m.code, result.error.message, undefined, headers);
}
