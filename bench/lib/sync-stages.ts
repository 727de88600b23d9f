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

/** Collects the stages of every run from the Worker's log lines, in the order they finished. */
export function stageCollector(): { onLine(line: string): void; forRun(runId: string): StageDone[] } {
  const stages: StageDone[] = [];
  return {
    onLine(line) {
      const s = parseStageDone(line);
      if (s) stages.push(s);
    },
    forRun: (runId) => stages.filter((s) => s.runId === runId),
  };
}
