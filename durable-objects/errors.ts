/**
 * Failures of live calls as they cross the DO's RPC boundary: plain data (a class would not
 * survive serialization), mapped to HTTP once by the Worker.
 */
export type LiveErrorCode =
  | "connector_offline"
  | "busy"
  | "deadline_exceeded"
  | "connector_disconnected"
  | "forbidden_operation"
  | "not_found"
  | "erp_error"
  | "bad_request"
  /** The Idempotency-Key's first request is still running. */
  | "idempotency_conflict"
  /** The Idempotency-Key was used before with a different request. */
  | "idempotency_key_reused"
  /** The tenant is moving to another rollout ring (or has moved): retry, the router will follow. */
  | "tenant_moving"
  /** A move step asked in the wrong phase (export before drain, import into a draining object). */
  | "move_conflict";

export interface LiveError {
  code: LiveErrorCode;
  message: string;
  /** Seconds the caller should wait before retrying (busy, offline). */
  retryAfter?: number;
}

export class LiveCallError extends Error {
  constructor(
    readonly code: LiveErrorCode,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "LiveCallError";
  }
  toJSON(): LiveError {
    return { code: this.code, message: this.message, ...(this.retryAfter !== undefined && { retryAfter: this.retryAfter }) };
  }
}

export type LiveResult<T> = { ok: true; value: T } | { ok: false; error: LiveError };

export function toLiveError(err: unknown): LiveError {
  if (err instanceof LiveCallError) return err.toJSON();
  return { code: "erp_error", message: err instanceof Error ? err.message : String(err) };
}

/**
 * Error codes a connector sends back, mapped to what the storefront sees. An ERP failure the
 * connector marks retryable (a lost database connection, a login in progress) keeps that as a
 * retry hint, so callers that retry (order delivery) can tell it from a final refusal.
 */
export function fromConnectorError(code: string, message: string, retryable = false): LiveCallError {
  switch (code) {
    case "busy":
      return new LiveCallError("busy", message, 1);
    case "forbidden_operation":
      return new LiveCallError("forbidden_operation", message);
    case "bad_request":
      return new LiveCallError("bad_request", message);
    case "draining":
    case "cancelled":
      return new LiveCallError("connector_disconnected", message, 1);
    default:
      return new LiveCallError("erp_error", `${code}: ${message}`, retryable ? 1 : undefined);
  }
}

/** Failures that say nothing about the call itself: the ERP could not be asked (now). */
const UNREACHABLE: ReadonlySet<LiveErrorCode> = new Set(["connector_offline", "connector_disconnected", "deadline_exceeded", "busy"]);

/** Whether the same call may succeed later: the ERP was unreachable, or it said "try again". */
export function isTransient(e: LiveError): boolean {
  return UNREACHABLE.has(e.code) || (e.code === "erp_error" && e.retryAfter !== undefined);
}
