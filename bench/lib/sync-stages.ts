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

/** The search summaries rebuilt after a run's commit (runner.warmSearch): its catalog version and time. */
export function parseWarmDone(line: string): { catalogVersion: number; ms: number } | undefined {
  const start = line.indexOf("{");
  if (start < 0 || !line.includes("search summaries")) return undefined;
  try {
    const o = JSON.parse(line.slice(start)) as Record<string, unknown>;
    if ((o.msg !== "search summaries rebuilt" && o.msg !== "search summaries not rebuilt") || typeof o.catalogVersion !== "number") return undefined;
    return { catalogVersion: o.catalogVersion, ms: typeof o.ms === "number" ? o.ms : Number.NaN };
  } catch {
    return undefined;
  }
}

/**
 * Collects the stages of every run from the Worker's log lines, in the order they finished, and
 * the post-commit search warm-ups that followed them.
 */
export function stageCollector(): { onLine(line: string): void; forRun(runId: string): StageDone[]; warmups: { catalogVersion: number; ms: number }[] } {
  const stages: StageDone[] = [];
  const warmups: { catalogVersion: number; ms: number }[] = [];
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
