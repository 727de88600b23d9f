/**
 * Log fields of the W3C traceparent the edge puts in a `Call` frame, so the connector's log line
 * of an ERP call carries the storefront request's trace id. A missing or malformed value yields
 * no fields: tracing must never make a call fail.
 */
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(?:-.*)?$/;

export function traceFields(traceparent: string): { traceId?: string; parentSpanId?: string } {
  const m = TRACEPARENT.exec(traceparent);
  return m ? { traceId: m[1]!, parentSpanId: m[2]! } : {};
}
