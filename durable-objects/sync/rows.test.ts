import { describe, expect, it } from "vitest";
import { validateChunk } from "./rows.ts";

const items = [{ key: "Gewinde", value: "M8", unit: null, position: 0 }];
const set = (key: string, rowversion: number, row: unknown = { articleId: key, rowversion, items, changedAt: "2026-01-01T00:00:00.000Z" }) => ({ rowversion, key, deleted: false, row });

describe("validateChunk", () => {
  it("keeps the changes in stream order, ends at the chunk's last rowversion, and names a bad row", () => {
    const out = validateChunk("attributes", [set("A1", 10), { rowversion: 11, key: "A2", deleted: true }, set("A3", 12)]);
    expect(out.changes.map((c) => [c.key, c.deleted])).toEqual([["A1", false], ["A2", true], ["A3", false]]);
    expect(out.lastRowversion).toBe(12);
    expect(() => validateChunk("attributes", [set("A2", -1)])).toThrow(/row #0 \(key 'A2'\): rowversion/);
    expect(() => validateChunk("attributes", [{ rowversion: 1, key: "", deleted: false, row: {} }])).toThrow(/key: must be a string/);
    expect(() => validateChunk("attributes", [set("A1", 1), set("A9", 2, { articleId: "A9", rowversion: 2, changedAt: "2026-01-01T00:00:00.000Z", items: [{ key: "" }] })])).toThrow(/invalid attributes row #1 \(key 'A9'\): items\.0/);
  });
});
