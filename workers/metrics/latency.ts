import { DURATION_BUCKETS } from "../../durable-objects/metrics.ts";

/** Live operations: storefront lookups, not sync streams, whose long runs would swamp the figure. */
const LIVE_OPERATION = /^erp\./;
const BUCKET = /^erp_provider_request_duration_seconds_bucket\{operation="([^"]*)",.*le="([^"]+)"\} (\S+)$/;
const COUNTER = /^erp_provider_requests_total\{operation="([^"]*)",.*status="([^"]*)"\} (\S+)$/;

export interface LiveCallFigures {
  calls: number;
  /** 95th percentile of live call latency (seconds), interpolated within its bucket as Prometheus does; null without calls. */
  p95Seconds: number | null;
  errorsByStatus: Record<string, number>;
}

/** Figures of a tenant's live ERP calls from its TenantSession's metric lines. */
export function liveCallFigures(lines: readonly string[]): LiveCallFigures {
  const cumulative = new Map<number, number>();
  const errorsByStatus: Record<string, number> = {};
  let calls = 0;
  for (const line of lines) {
    const b = BUCKET.exec(line);
    if (b && LIVE_OPERATION.test(b[1]!)) {
      const le = b[2] === "+Inf" ? Infinity : Number(b[2]);
      cumulative.set(le, (cumulative.get(le) ?? 0) + Number(b[3]));
      continue;
    }
    const c = COUNTER.exec(line);
    if (c && LIVE_OPERATION.test(c[1]!)) {
      calls += Number(c[3]);
      if (c[2] !== "success") errorsByStatus[c[2]!] = (errorsByStatus[c[2]!] ?? 0) + Number(c[3]);
    }
  }
  return { calls, p95Seconds: quantile(0.95, cumulative), errorsByStatus };
}

function quantile(q: number, cumulative: Map<number, number>): number | null {
  const total = cumulative.get(Infinity) ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const le of DURATION_BUCKETS) {
    const count = cumulative.get(le) ?? below;
    if (count >= rank) return lower + (le - lower) * ((rank - below) / Math.max(count - below, 1));
    lower = le;
    below = count;
  }
  // Beyond the last finite bucket: report its bound, as histogram_quantile does.
  return DURATION_BUCKETS.at(-1)!;
}
