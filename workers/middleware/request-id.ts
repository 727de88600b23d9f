import { createMiddleware } from "hono/factory";
import { createLogger } from "../lib/log.ts";
import { childTraceparent, formatTraceparent, startTrace } from "../lib/trace.ts";
import type { AppEnv } from "../types.ts";

/** A caller-supplied id is kept only if it is short and harmless to log and forward. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Gives every request an id and a W3C trace (the storefront's `traceparent` continued when valid,
 * a new trace otherwise) that travel to responses, every log line, and the connector.
 */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  const incoming = c.req.header("x-request-id");
  const id = incoming && ACCEPTABLE_ID.test(incoming) ? incoming : crypto.randomUUID();
  const trace = startTrace(c.req.header("traceparent"));
  const log = createLogger(c.env.LOG_LEVEL, { requestId: id, traceId: trace.traceId, spanId: trace.spanId });
  c.set("requestId", id);
  c.set("trace", trace);
  c.set("origin", { requestId: id, traceparent: childTraceparent(trace) });
  c.set("log", log);
  c.header("x-request-id", id);
  const traceparent = formatTraceparent(trace);
  c.header("traceparent", traceparent);
  await next();
  // Error responses are built in onError; make sure they carry the ids too. A WebSocket
  // upgrade (101) comes back from the DO with immutable headers: leave it as it is.
  if (c.res.status !== 101) {
    c.res.headers.set("x-request-id", id);
    c.res.headers.set("traceparent", traceparent);
  }
  // One access line per request: with the ids above it ties the storefront call to the ERP call.
  log(c.res.status >= 500 ? "warn" : "info", "request", { method: c.req.method, path: new URL(c.req.url).pathname, status: c.res.status, ms: Date.now() - started, ...(trace.parentId && { parentSpanId: trace.parentId }) });
});
