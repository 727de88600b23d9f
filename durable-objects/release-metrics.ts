/** Outcomes a connector reports about an update (events `connector.update_*`). */
export type UpdateResult = "installed" | "refused" | "rolled_back";

/** Event kinds the supervisor sends through its child, and the metric result each counts as. */
export const UPDATE_EVENTS: Record<string, UpdateResult> = {
  "connector.update_installed": "installed",
  "connector.update_failed": "refused",
  "connector.update_rolled_back": "rolled_back",
};

/** Reasons of a refused update that mean the download itself was bad (counted as a failed download). */
const DOWNLOAD_REASONS = new Set(["size_mismatch", "hash_mismatch", "download_failed"]);

/**
 * Connector release metrics of one tenant, in the DO's SQLite (they survive eviction):
 * downloads by status (the edge's answers plus downloads the connector found corrupt),
 * updates by result, and version skew per connector.
 */
export class ReleaseMetrics {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS release_counters (kind TEXT NOT NULL, label TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (kind, label))`);
  }

  private bump(kind: "download" | "update", label: string): void {
    this.sql.exec(`INSERT INTO release_counters VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1`, kind, label);
  }

  download(status: string): void {
    this.bump("download", status);
  }

  /** An update report; a refused one whose reason is a corrupt download also counts as a failed download. */
  update(kind: string, reason: string | undefined): UpdateResult | undefined {
    const result = UPDATE_EVENTS[kind];
    if (!result) return undefined;
    this.bump("update", result);
    if (result === "refused" && reason && DOWNLOAD_REASONS.has(reason)) this.bump("download", "corrupt");
    return result;
  }

  render(tenant: string, desired: string, connectors: { connectorId: string; version: string }[]): string[] {
    const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
    const t = `tenant="${esc(tenant)}"`;
    const lines: string[] = [];
    let failures = 0;
    for (const r of this.sql.exec<{ kind: string; label: string; count: number }>(`SELECT * FROM release_counters ORDER BY kind, label`)) {
      if (r.kind === "download") {
        lines.push(`b2x_connector_download_total{${t},status="${esc(r.label)}"} ${r.count}`);
        if (r.label !== "ok") failures += r.count;
      } else {
        lines.push(`b2x_connector_update_total{${t},result="${esc(r.label)}"} ${r.count}`);
      }
    }
    lines.push(`b2x_connector_download_failures_total{${t}} ${failures}`);
    for (const c of connectors) {
      const skew = desired !== "" && c.version !== desired ? 1 : 0;
      lines.push(`b2x_connector_version_skew{${t},connector="${esc(c.connectorId)}"} ${skew}`);
    }
    return lines;
  }
}

export const RELEASE_METRIC_HEADERS = [
  "# HELP b2x_connector_download_total Connector release downloads (manifest and artifact) by outcome; corrupt = the connector found the bytes did not match.",
  "# TYPE b2x_connector_download_total counter",
  "# HELP b2x_connector_download_failures_total Connector release downloads that did not deliver a good file (alert above 5% of downloads).",
  "# TYPE b2x_connector_download_failures_total counter",
  "# HELP b2x_connector_update_total Connector updates by result: installed, refused (bad signature, hash, size, downgrade), rolled_back.",
  "# TYPE b2x_connector_update_total counter",
  "# HELP b2x_connector_version_skew 1 when an online connector runs another version than the one desired for it.",
  "# TYPE b2x_connector_version_skew gauge",
];
