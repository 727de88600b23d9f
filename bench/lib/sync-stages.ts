/** One `sync stage done` line of the Worker's sync runner. */
export interface StageDone {
  runId: string;
  entity: string;
  rows: number;
  ms: number;
}

/**
 * Reads a Worker log line (a JSON object, possibly after a prefix such as wrangler's) and returns
 * the stage it reports done, or undefined for any other line.
 */
export function parseStageDone(line: string): StageDone | undefined {
  const start = line.indexOf("{");
  if (start < 0 || !line.includes("sync stage done")) return undefined;
  try {
    const o = JSON.parse(line.slice(start)) as Record<string, unknown>;
    if (o.msg !== "sync stage done" || typeof o.runId !== "string" || typeof o.entity !== "string" || typeof o.rows !== "number" || typeof o.ms !== "number") return undefined;
    return { runId: o.runId, entity: o.entity, rows: o.rows, ms: o.ms };
  } catch {
    return undefined; // not JSON after all
  }
}

/** The search summaries carried over after a run's commit (runner.warmSearch). */
export interface WarmDone {
  catalogVersion: number;
  ms: number;
  /** Rolled forward with the run's changes, and computed again (NaN when the line does not say). */
  rolled: number;
  rebuilt: number;
}

/** The search summaries carried over after a run's commit (runner.warmSearch): its catalog version, time and counts. */
export function parseWarmDone(line: string): WarmDone | undefined {
  const start = line.indexOf("{");
  if (start < 0 || !line.includes("search summaries")) return undefined;
  try {
    const o = JSON.parse(line.slice(start)) as Record<string, unknown>;
    if ((o.msg !== "search summaries carried over" && o.msg !== "search summaries not carried over") || typeof o.catalogVersion !== "number") return undefined;
    const n = (v: unknown) => (typeof v === "number" ? v : Number.NaN);
    return { catalogVersion: o.catalogVersion, ms: n(o.ms), rolled: n(o.rolled), rebuilt: n(o.rebuilt) };
  } catch {
    return undefined;
  }
}

/**
 * Collects the stages of every run from the Worker's log lines, in the order they finished, and
 * the post-commit search warm-ups that followed them.
 */
export function stageCollector(): { onLine(line: string): void; forRun(runId: string): StageDone[]; warmups: WarmDone[] } {
  const stages: StageDone[] = [];
  const warmups: WarmDone[] = [];
  return {
    onLine(line) {
      const s = parseStageDone(line);
      if (s) stages.push(s);
      const w = parseWarmDone(line);
      if (w) warmups.push(w);
    },
    forRun: (runId) => stages.filter((s) => s.runId === runId),
    warmups,
  };
}
