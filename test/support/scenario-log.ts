import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * One fault, security or load scenario's outcome. The CI suites append one line per scenario;
 * `npm run bench -- soak` reads them back into the report table, so every figure in the report
 * comes from a run, never from a hand-written table.
 */
export interface ScenarioRecord {
  /** "faults" | "security" | "load" | … */
  suite: string;
  name: string;
  passed: boolean;
  /** What was injected, e.g. ["connector killed mid-order", "pg restart"]. */
  faults?: string[];
  /** How many bad inputs were tried (fuzz runs, crafted requests). */
  badInputs?: number;
  /** Must be 0 for a pass where they apply. */
  lostOrders?: number;
  duplicatedOrders?: number;
  syncGaps?: number;
  hungRequests?: number;
  /** Free-form figures (counts, latencies in ms) worth a column in the report. */
  figures?: Record<string, number | string>;
  notes?: string;
}

/** Where records go: `B2X_SCENARIO_LOG`, else `.data/scenarios.jsonl` under the repo root. */
export function scenarioLogPath(): string {
  return resolve(process.env.B2X_SCENARIO_LOG ?? ".data/scenarios.jsonl");
}

export function recordScenario(record: ScenarioRecord): void {
  const path = scenarioLogPath();
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${JSON.stringify({ at: new Date().toISOString(), ...record })}\n`);
}
