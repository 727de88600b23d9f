import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parsePrometheusText } from "../support/prometheus-text.ts";
import { adminHttp, http } from "./client.ts";
import { inject } from "vitest";
import { cleanupFixtures, type LiveTenant, liveTenant, waitUntil } from "./tenant-fixture.ts";

const RULES = "ops/prometheus/alerts.yml";
const RULE_TESTS = "ops/prometheus/alerts.test.yml";
/** Emitted by the connector-release side (download endpoint), not by this stack's fixtures. */
const RELEASE_METRICS = new Set(["b2x_connector_download_total"]);
/** Alert triggers of ADR-034 that must each have a rule. */
const ADR_034_TRIGGERS = ["ConnectorDownloadFailures", "SyncPerformanceDegraded", "ErpErrorRateHigh", "ErpErrorRateSustained", "ConnectorOffline"];

const promtool = spawnSync("promtool", ["--version"]).status === 0;
if (!promtool && process.env.CI === "true") throw new Error("promtool is missing: CI installs Debian's prometheus package (.ci/run)");

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
}
const rules = (): Rule[] => (parse(readFileSync(RULES, "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
/** Our metric names in an expression (all carry one of the project's prefixes). */
const metricsOf = (expr: string) => [...expr.matchAll(/\b((?:b2x|erp_provider)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);

afterAll(cleanupFixtures);

describe("alert rules (ops/prometheus/alerts.yml)", () => {
  it("has a rule with severity and summary for each ADR-034 trigger", () => {
    const all = rules();
    expect(all.map((r) => r.alert)).toEqual(expect.arrayContaining(ADR_034_TRIGGERS));
    for (const r of all) {
      expect(r.labels?.severity, r.alert).toMatch(/^(warning|critical)$/);
      expect(metricsOf(r.expr).length, r.alert).toBeGreaterThan(0);
    }
    expect(all.find((r) => r.alert === "ConnectorOffline")!.for).toBe("2m");
  });

  it.skipIf(!promtool)("passes promtool check rules and its unit tests (promtool test rules)", () => {
    expect(execFileSync("promtool", ["check", "rules", RULES], { encoding: "utf8" })).toContain("SUCCESS");
    expect(execFileSync("promtool", ["test", "rules", RULE_TESTS], { encoding: "utf8" })).toContain("SUCCESS");
  });

  describe("against the running stack", () => {
    let t: LiveTenant;
    let text: string;
    beforeAll(async () => {
      // A tenant with a connector, live calls and two finished sync runs (last run and baseline).
      t = await liveTenant();
      await t.startConnector();
      const token = await t.customerToken("K10001");
      expect((await t.post("/v1/prices", { items: [{ articleId: "1000001", quantity: 1 }] }, token)).status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const start = await adminHttp(`/tenants/${t.tenantId}/sync`, { method: "POST", json: { mode: "full" } });
        expect(start.status).toBe(202);
        await waitUntil(async () => (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs.find((r: { runId: string }) => r.runId === start.body.runId)?.status === "succeeded", 60_000, "sync run");
      }
      const res = await http("/metrics", { token: inject("adminToken") });
      expect(res.status).toBe(200);
      text = res.body as string;
    }, 120_000);

    it("serves every metric the rules use, with samples of this tenant (or it is the release download metric)", () => {
      const m = parsePrometheusText(text);
      const used = new Set(rules().flatMap((r) => metricsOf(r.expr)));
      const missing = [...used].filter((name) => !RELEASE_METRICS.has(name) && m.of(name, { tenant: t.tenantId }).length === 0);
      expect(missing).toEqual([]);
      expect(m.of("b2x_connector_up", { tenant: t.tenantId, connector: "werk-1" })[0]!.value).toBe(1);
    });

    it.skipIf(!promtool)("is valid exposition for promtool check metrics", () => {
      const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      // Exit 0: no problems; 3 would be lint warnings only, 1 a parse error.
      expect(r.stderr + r.stdout).toBe("");
      expect(r.status).toBe(0);
    });
  });
});
