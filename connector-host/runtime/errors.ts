/** Errors of the connector host itself; `code` travels to the edge in an error frame. */
export class ConnectorError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = "ConnectorError";
  }
}

/** The BusinessUnit's queue is full: the caller should back off, never wait unboundedly. */
export class BusyError extends ConnectorError {
  constructor(businessUnit: string, capacity: number) {
    super("busy", `queue of BusinessUnit '${businessUnit}' is full (${capacity} calls waiting)`, true);
    this.name = "BusyError";
  }
}

export class ForbiddenOperationError extends ConnectorError {
  constructor(operation: string) {
    super("forbidden_operation", `operation '${operation}' is not allowed by this connector's local configuration`);
    this.name = "ForbiddenOperationError";
  }
}

export class CancelledError extends ConnectorError {
  constructor(reason: string) {
    super("cancelled", reason, true);
    this.name = "CancelledError";
  }
}

/** The fields of the edge's error frame; plain data, so it also crosses threads. */
export interface ErrorFields {
  code: string;
  message: string;
  retryable: boolean;
}

/** What goes into the edge's error frame: a coded error (ours, or the ERP's) as it is, anything else as internal. */
export function errorFields(err: unknown): ErrorFields {
  const e = err instanceof ConnectorError || typeof (err as { code?: unknown })?.code === "string" ? (err as ConnectorError) : new ConnectorError("internal", "connector failure");
  return { code: e.code, message: e.message, retryable: e.retryable ?? false };
}
