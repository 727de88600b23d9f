import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isDatabaseUnavailable } from "./db/unavailable.ts";

/** Stable machine-readable error codes of the HTTP contract. */
export type ErrorCode =
  | "bad_request"
  | "malformed_json"
  | "validation_failed"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "connector_offline"
  | "connector_disconnected"
  | "deadline_exceeded"
  | "forbidden_operation"
  | "erp_error"
  | "session_unavailable"
  | "busy"
  | "not_ready"
  | "database_unavailable"
  | "idempotency_key_required"
  | "idempotency_conflict"
  | "idempotency_key_reused"
  | "unknown_articles"
  | "order_rejected"
  | "tenant_moving"
  | "release_rejected"
  | "ring_order_violation"
  | "sync_stream_replaced"
  | "sync_batch_out_of_order"
  | "sync_batch_rejected"
  | "internal";

export interface ErrorIssue {
  path: string;
  message: string;
}

/** A failure we expect and can describe; anything else becomes a 500 `internal`. */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ErrorIssue[],
    readonly headers?: Record<string, string>,
    /** More members of the body beside `error` (a rejected order carries the order). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const badRequest = (message: string, issues?: ErrorIssue[]) =>
  new AppError(400, issues ? "validation_failed" : "bad_request", message, issues);
export const unauthorized = (message = "Missing or invalid credentials") =>
  new AppError(401, "unauthorized", message, undefined, { "www-authenticate": 'Bearer realm="b2x"' });
export const notFound = (message: string) => new AppError(404, "not_found", message);
export const conflict = (message: string) => new AppError(409, "conflict", message);

export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string; issues?: ErrorIssue[] };
  [member: string]: unknown;
}

/** Maps any thrown value to the contract's envelope; never leaks a stack trace. */
export function toErrorResponse(err: unknown, requestId: string): { status: ContentfulStatusCode; body: ErrorBody; headers: Record<string, string> } {
  if (err instanceof AppError) {
    const body: ErrorBody = { ...err.extra, error: { code: err.code, message: err.message, requestId } };
    if (err.issues) body.error.issues = err.issues;
    return { status: err.status, body, headers: err.headers ?? {} };
  }
  if (err instanceof HTTPException) {
    const code: ErrorCode = err.status === 413 ? "payload_too_large" : err.status === 401 ? "unauthorized" : "bad_request";
    return { status: err.status, body: { error: { code, message: err.message || "Bad request", requestId } }, headers: {} };
  }
  // Postgres restarting or unreachable is transient: say so, and when to retry, instead of a 500.
  if (isDatabaseUnavailable(err)) return { status: 503, body: { error: { code: "database_unavailable", message: "The database is not reachable right now; retry", requestId } }, headers: { "retry-after": "1" } };
  return { status: 500, body: { error: { code: "internal", message: "Internal error", requestId } }, headers: {} };
}
