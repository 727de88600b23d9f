import { describe, expect, it } from "vitest";
import { parseScenarioLog, soakReport } from "./soak-report.ts";

const log = [
  { at: "t", suite: "faults", name: "connector killed mid-order", passed: true, faults: ["connector killed", "pg restart"], lostOrders: 0, duplicatedOrders: 0, syncGaps: 0, hungRequests: 0 },
  { at: "t", suite: "security", name: "fuzzed frames", passed: true, badInputs: 1500 },
  { at: "t", suite: "security", name: "cross | tenant", passed: false, badInputs: 57, notes: "leaked 'x'" },
  { at: "t", suite: "load", name: "mixed load, concurrency 4", passed: true, figures: { concurrency: 4, rps: 120.5, p50: 20, p95: 40, p99: 80, errors: 0, errorRate: 0, "cpu:workerd": 95 } },
  { at: "t", suite: "load", name: "orders under load: exactly once", passed: true, lostOrders: 0, duplicatedOrders: 1, notes: "saturates at 16" },
].map((r) => JSON.stringify(r));

describe("soak report", () => {
  it("tables every scenario with totals and the load steps, from the log alone", () => {
    const { records, unreadable } = parseScenarioLog([...log, "not json", '{"suite":"x"}', ""].join("\n"));
    expect(unreadable).toBe(2);
    const md = soakReport(records, { date: "2026-11-23", commit: "abc123", command: "npm run bench -- soak --report-only", logPath: "x.jsonl", unreadable, cores: 2 });
    expect(md).toContain("| faults | connector killed mid-order | connector killed, pg restart | – | 0 | 0 | 0 | 0 | pass |");
    expect(md).toContain("| security | cross \\| tenant | – | 57 | – | – | – | – | **FAIL**: leaked 'x' |");
    // The load step is in the load table, not among the scenarios; the exactly-once check is.
    expect(md).toContain("| **total** | **4 scenarios** | **2** | **1,557** | **0** | **1** | **0** | **0** | **3 pass, 1 fail** |");
    expect(md).toMatch(/\| 4 \| – \| – \| 120\.5 \| 20 \| 40 \| 80 \| 0 \| 0\.00 \| – \| – \| 95 \|/);
    expect(md).toContain("- orders under load: exactly once: saturates at 16");
    expect(md).toContain("**1 scenario(s) failed; orders lost 0, duplicated 1.**");
  });
});
