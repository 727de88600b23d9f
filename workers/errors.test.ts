import { describe, expect, it } from "vitest";
import { AppError, toErrorResponse } from "./errors.ts";

describe("toErrorResponse", () => {
  it("turns an unexpected error into a bare 500 envelope with no message or stack", () => {
    const err = new TypeError("secret detail at /srv/app.ts:12");
    const { status, body } = toErrorResponse(err, "req-1");
    expect(status).toBe(500);
    expect(body).toEqual({ error: { code: "internal", message: "Internal error", requestId: "req-1" } });
  });

  it("keeps the status, code, issues and headers of a typed error", () => {
    const err = new AppError(503, "busy", "Queue full", undefined, { "retry-after": "1" });
    const { status, body, headers } = toErrorResponse(err, "req-2");
    expect(status).toBe(503);
    expect(body.error.code).toBe("busy");
    expect(headers["retry-after"]).toBe("1");
  });

  it("turns a lost or restarting database (also wrapped as a cause) into 503 database_unavailable with Retry-After", () => {
    const lost = new Error("Failed query: select 1", { cause: new Error("Connection terminated unexpectedly") });
    const shutdown = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    // In workerd the driver's WebSocket fails with an ErrorEvent, not an Error, as the cause.
    const dropped = new Error("Failed query: select 1", { cause: { type: "error", message: "Uncaught Error: Network connection lost." } });
    for (const err of [lost, shutdown, dropped]) {
      const { status, body, headers } = toErrorResponse(err, "req-3");
      expect(status).toBe(503);
      expect(body.error.code).toBe("database_unavailable");
      expect(headers["retry-after"]).toBe("1");
    }
    // A query that is wrong stays a 500: retrying cannot help.
    expect(toErrorResponse(Object.assign(new Error("syntax error"), { code: "42601" }), "req-4").status).toBe(500);
  });
});
