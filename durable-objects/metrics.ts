/** Histogram buckets (seconds) for erp_provider_request_duration_seconds. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/**
 * Per-tenant ERP call metrics with the ADR's names, kept in the DO's SQLite so they survive
 * eviction, rendered as Prometheus text by the Worker's /metrics.
 */
export class CallMetrics {
  /** Deltas not yet written: counting in memory keeps SQLite writes off the per-call path. */
  private pending = new Map<string, { operation: string; status: string; count: number; bucket: number[]; sum: number }>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS call_counters (operation TEXT NOT NULL, status TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (operation, status))`);
    sql.exec(`CREATE TABLE IF NOT EXISTS call_durations (operation TEXT NOT NULL, bucket INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (operation, bucket))`);
    sql.exec(`CREATE TABLE IF NOT EXISTS call_duration_sums (operation TEXT PRIMARY KEY, sum REAL NOT NULL, count INTEGER NOT NULL)`);
  }

  record(operation: string, status: string, seconds: number): void {
    const key = `${operation}\u0000${status}`;
    let p = this.pending.get(key);
    if (!p) this.pending.set(key, (p = { operation, status, count: 0, bucket: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), sum: 0 }));
    p.count++;
    // Every call is an observation, a 0 s one too: workerd's clock only moves with I/O, so a
    // call answered between two clock updates measures 0 s, and leaving it out made the
    // histogram's count disagree with requests_total (and a scrape miss the series entirely).
    const s = Math.max(0, seconds);
    const bucket = DURATION_BUCKETS.findIndex((b) => s <= b);
    p.bucket[bucket === -1 ? DURATION_BUCKETS.length : bucket]!++;
    p.sum += s;
    // Written within a second; at most that much is lost if the object is evicted.
    this.flushTimer ??= setTimeout(() => this.flush(), 1_000);
  }

  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const p of this.pending.values()) {
      this.sql.exec(`INSERT INTO call_counters VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count`, p.operation, p.status, p.count);
      p.bucket.forEach((n, bucket) => {
        if (n > 0) this.sql.exec(`INSERT INTO call_durations VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count`, p.operation, bucket, n);
      });
      this.sql.exec(`INSERT INTO call_duration_sums VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET sum = sum + excluded.sum, count = count + excluded.count`, p.operation, p.sum, p.count);
    }
    this.pending.clear();
  }

  /** Prometheus exposition lines (without HELP/TYPE headers, which the Worker adds once). */
  render(tenant: string, extra: { cacheHitRatio: number; connectors: { connectorId: string; queueDepth: number; lastHeartbeatAgeSeconds: number }[]; presence: { connectorId: string; version: string; online: boolean }[]; queueDepth: number; ordersQueued: number }): string[] {
    this.flush();
    const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
    const t = `tenant="${esc(tenant)}"`;
    const lines: string[] = [];
    for (const r of this.sql.exec<{ operation: string; status: string; count: number }>(`SELECT * FROM call_counters ORDER BY operation, status`)) {
      lines.push(`erp_provider_requests_total{operation="${esc(r.operation)}",${t},status="${esc(r.status)}"} ${r.count}`);
    }
    const byOp = new Map<string, number[]>();
    for (const r of this.sql.exec<{ operation: string; bucket: number; count: number }>(`SELECT * FROM call_durations`)) {
      const arr = byOp.get(r.operation) ?? new Array<number>(DURATION_BUCKETS.length + 1).fill(0);
      arr[r.bucket] = r.count;
      byOp.set(r.operation, arr);
    }
    for (const r of this.sql.exec<{ operation: string; sum: number; count: number }>(`SELECT * FROM call_duration_sums ORDER BY operation`)) {
      const counts = byOp.get(r.operation) ?? [];
      let cumulative = 0;
      DURATION_BUCKETS.forEach((b, i) => {
        cumulative += counts[i] ?? 0;
        lines.push(`erp_provider_request_duration_seconds_bucket{operation="${esc(r.operation)}",${t},le="${b}"} ${cumulative}`);
      });
      lines.push(`erp_provider_request_duration_seconds_bucket{operation="${esc(r.operation)}",${t},le="+Inf"} ${r.count}`);
      lines.push(`erp_provider_request_duration_seconds_sum{operation="${esc(r.operation)}",${t}} ${r.sum}`);
      lines.push(`erp_provider_request_duration_seconds_count{operation="${esc(r.operation)}",${t}} ${r.count}`);
    }
    lines.push(`erp_provider_cache_hit_ratio{provider="enventa",${t}} ${extra.cacheHitRatio}`);
    lines.push(`b2x_connectors_online{${t}} ${extra.connectors.length}`);
    lines.push(`b2x_tenant_queue_depth{${t}} ${extra.queueDepth}`);
    lines.push(`b2x_orders_queued{${t}} ${extra.ordersQueued}`);
    for (const c of extra.connectors) {
      lines.push(`b2x_connector_queue_depth{${t},connector="${esc(c.connectorId)}"} ${c.queueDepth}`);
      lines.push(`b2x_connector_heartbeat_age_seconds{${t},connector="${esc(c.connectorId)}"} ${c.lastHeartbeatAgeSeconds}`);
    }
    // Every connector the tenant has registered, offline ones too, so "offline for 2 min" can alert.
    for (const p of extra.presence) lines.push(`b2x_connector_up{${t},connector="${esc(p.connectorId)}",version="${esc(p.version)}"} ${p.online ? 1 : 0}`);
    return lines;
  }
}

export const METRIC_HEADERS = [
  "# HELP erp_provider_requests_total ERP calls through the tenant's connectors, by operation and outcome.",
  "# TYPE erp_provider_requests_total counter",
  "# HELP erp_provider_request_duration_seconds Time from a live call entering the TenantSession until its answer.",
  "# TYPE erp_provider_request_duration_seconds histogram",
  "# HELP erp_provider_cache_hit_ratio Share of live lookups answered from the TenantSession cache.",
  "# TYPE erp_provider_cache_hit_ratio gauge",
  "# HELP b2x_connectors_online Connectors of the tenant with an open tunnel.",
  "# TYPE b2x_connectors_online gauge",
  "# HELP b2x_tenant_queue_depth Calls waiting in the TenantSession for a free ERP session.",
  "# TYPE b2x_tenant_queue_depth gauge",
  "# HELP b2x_orders_queued Orders in the tenant's outbox not yet in the ERP.",
  "# TYPE b2x_orders_queued gauge",
  "# HELP b2x_connector_queue_depth Queue depth a connector last reported (all BusinessUnits).",
  "# TYPE b2x_connector_queue_depth gauge",
  "# HELP b2x_connector_heartbeat_age_seconds Seconds since the connector's last heartbeat.",
  "# TYPE b2x_connector_heartbeat_age_seconds gauge",
  "# HELP b2x_connector_up Whether a registered connector has an open tunnel now (1) or not (0), with the version it reported.",
  "# TYPE b2x_connector_up gauge",
];
