/** Errors the simulated enventa raises; `code` is what travels to the edge. */
export class ErpError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Whether the same call may succeed if repeated (transient ERP/DB trouble). */
    readonly retryable = false,
  ) {
    super(message);
    this.name = "ErpError";
  }
}

/** A second call entered a session while one was running: enventa is not thread-safe. */
export class ThreadingViolationError extends ErpError {
  constructor(operation: string, running: string) {
    super("threading_violation", `enventa session used concurrently: '${operation}' entered while '${running}' was running`);
    this.name = "ThreadingViolationError";
  }
}

/** Login is globally serialized in enventa; a concurrent login fails. */
export class LoginConcurrencyError extends ErpError {
  constructor() {
    super("login_in_progress", "another enventa login is in progress (Login() is not thread-safe)", true);
    this.name = "LoginConcurrencyError";
  }
}

export class SessionExpiredError extends ErpError {
  constructor(reason: string) {
    super("session_expired", `enventa session is no longer valid: ${reason}`, true);
    this.name = "SessionExpiredError";
  }
}

export class QueryError extends ErpError {
  constructor(message: string) {
    super("query_error", message);
    this.name = "QueryError";
  }
}
