import { describe, expect, it } from "vitest";
import { parsePrometheusText } from "../../test/support/prometheus-text.ts";
import { mergeExpositions } from "./merge-metrics.ts";

const info = "# HELP b2x_tenant_info Tenants.\n# TYPE b2x_tenant_info gauge\n";
const up = "# HELP b2x_tenant_session_up Up.\n# TYPE b2x_tenant_session_up gauge\n";
const hist = (tenant: string, n: number) =>
  `# HELP h Latency.\n# TYPE h histogram\nh_bucket{tenant="${tenant}",le="0.1"} ${n}\nh_bucket{tenant="${tenant}",le="+Inf"} ${n}\nh_sum{tenant="${tenant}"} 1\nh_count{tenant="${tenant}"} ${n}\n`;

describe("mergeExpositions (the router's /metrics merge)", () => {
  it("groups each family once across rings and flags a ring that did not answer", () => {
    const text = mergeExpositions([
      { ring: "canary", text: `${info}b2x_tenant_info{tenant="a",ring="canary"} 1\n${hist("a", 2)}` },
      { ring: "early", text: null, error: "HTTP 503" },
      { ring: "stable", text: `${hist("b", 3)}${info}b2x_tenant_info{tenant="b",ring="stable"} 1\n` },
    ]);
    const m = parsePrometheusText(text);
    expect(m.of("b2x_ring_up").map((s) => [s.labels.ring, s.value])).toEqual([["canary", 1], ["early", 0], ["stable", 1]]);
    expect(m.of("h_count").map((s) => [s.labels.tenant, s.value])).toEqual([["a", 2], ["b", 3]]);
    expect(text.match(/^# TYPE h /gm)).toHaveLength(1);
  });

  it("takes a tenant's series only from its own ring when an older ring build reports every tenant", () => {
    // Stable runs a build that reports all tenants; its view of the canary tenant's session is wrong (0).
    const m = parsePrometheusText(mergeExpositions([
      { ring: "canary", text: `${info}b2x_tenant_info{tenant="a",ring="canary"} 1\n${up}b2x_tenant_session_up{tenant="a"} 1\n` },
      { ring: "early", text: `${info}b2x_tenant_info{tenant="a",ring="canary"} 1\n` },
      { ring: "stable", text: `${info}b2x_tenant_info{tenant="a",ring="canary"} 1\nb2x_tenant_info{tenant="b",ring="stable"} 1\n${up}b2x_tenant_session_up{tenant="a"} 0\nb2x_tenant_session_up{tenant="b"} 1\n` },
    ]));
    expect(m.of("b2x_tenant_session_up").map((s) => [s.labels.tenant, s.value])).toEqual([["a", 1], ["b", 1]]);
    expect(m.of("b2x_tenant_info")).toHaveLength(2);
  });

  it("drops a ring's samples of a family it declares with another type, keeping the text valid", () => {
    const m = parsePrometheusText(mergeExpositions([
      { ring: "canary", text: "# HELP x X.\n# TYPE x gauge\nx{ring=\"canary\"} 1\n" },
      { ring: "early", text: "# HELP x X.\n# TYPE x counter\nx{ring=\"early\"} 5\n" },
      { ring: "stable", text: "# HELP x X.\n# TYPE x gauge\nx{ring=\"stable\"} 2\n" },
    ]));
    expect(m.types.get("x")).toBe("gauge");
    expect(m.of("x").map((s) => s.labels.ring)).toEqual(["canary", "stable"]);
  });
});
