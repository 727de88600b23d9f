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
});
