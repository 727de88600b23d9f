/**
 * W3C Trace Context (`traceparent`): the storefront's trace is continued when its header is
 * valid; otherwise a new trace starts. Each hop (this Worker, each tunnel call) gets its own
 * span id under the same trace id, so one storefront request can be followed into the ERP call.
 */
export interface TraceContext {
  traceId: string;
  /** This request's span in the Worker. */
  spanId: string;
  /** The caller's span, when the storefront sent a valid traceparent. */
  parentId?: string;
  flags: string;
}

// version-traceid-parentid-flags; versions above 00 may append fields (the spec asks to keep reading).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

const randomHex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** The parts of a valid traceparent header, or undefined for anything the spec says to ignore. */
export function parseTraceparent(header: string | undefined): { traceId: string; parentId: string; flags: string } | undefined {
  if (!header || header.length > 512) return undefined;
  const m = TRACEPARENT.exec(header.trim());
  if (!m) return undefined;
  const [, version, traceId, parentId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  return { traceId, parentId, flags };
}

/** Continues the caller's trace (valid header) or starts a new one, with a fresh span for this hop. */
export function startTrace(header: string | undefined): TraceContext {
  const parent = parseTraceparent(header);
  const spanId = randomHex(8);
  return parent ? { traceId: parent.traceId, spanId, parentId: parent.parentId, flags: parent.flags } : { traceId: randomHex(16), spanId, flags: "01" };
}

/** The traceparent header value naming `spanId` (default: the context's own span) as parent. */
export function formatTraceparent(t: TraceContext, spanId = t.spanId): string {
  return `00-${t.traceId}-${spanId}-${t.flags}`;
}

/** A child span for an outgoing hop (a tunnel call), as a traceparent header value. */
export function childTraceparent(t: TraceContext): string {
  return formatTraceparent(t, randomHex(8));
}
