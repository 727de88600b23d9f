import { describe, expect, it } from "vitest";
import { parseStageDone, parseWarmDone, stageCollector } from "./sync-stages.ts";

const line = (fields: Record<string, unknown>) => JSON.stringify({ ts: "2025-01-01T00:00:00.000Z", level: "info", msg: "sync stage done", tenantId: "t", ...fields });

describe("sync stage lines", () => {
  it("reads a plain line and one behind a prefix", () => {
    expect(parseStageDone(line({ runId: "r1", entity: "articles", rows: 50000, ms: 12345 }))).toEqual({ runId: "r1", entity: "articles", rows: 50000, ms: 12345 });
    expect(parseStageDone(`[wrangler:info] ${line({ runId: "r1", entity: "media", rows: 7, ms: 3 })}`)).toEqual({ runId: "r1", entity: "media", rows: 7, ms: 3 });
  });

  it("ignores other messages, missing fields and broken JSON", () => {
    expect(parseStageDone(JSON.stringify({ msg: "sync run started", runId: "r1" }))).toBeUndefined();
    expect(parseStageDone(line({ runId: "r1", entity: "articles", rows: "many", ms: 1 }))).toBeUndefined();
    expect(parseStageDone('{"msg":"sync stage done", "runId": ')).toBeUndefined();
    expect(parseStageDone("POST /v1/prices 200 OK (3ms)")).toBeUndefined();
  });

  it("keeps the stages of each run apart, in order", () => {
    const c = stageCollector();
    for (const [runId, entity] of [["a", "articles"], ["b", "articles"], ["a", "media"]] as const) c.onLine(line({ runId, entity, rows: 1, ms: 1 }));
    expect(c.forRun("a").map((s) => s.entity)).toEqual(["articles", "media"]);
    expect(c.forRun("b")).toHaveLength(1);
    expect(c.forRun("c")).toEqual([]);
  });

  it("reads the search warm-up that follows a commit, rebuilt or not", () => {
    const c = stageCollector();
    c.onLine(`[wrangler:info] ${JSON.stringify({ msg: "search summaries carried over", catalogVersion: 3, rolled: 12, rebuilt: 30, dropped: 2, ms: 4100 })}`);
    c.onLine(JSON.stringify({ msg: "search summaries not carried over", catalogVersion: 4, error: "x" }));
    expect(c.warmups[0]).toEqual({ catalogVersion: 3, ms: 4100, rolled: 12, rebuilt: 30 });
    expect(c.warmups[1]!.catalogVersion).toBe(4);
    expect(parseWarmDone(line({ runId: "r", entity: "articles", rows: 1, ms: 1 }))).toBeUndefined();
  });
});
