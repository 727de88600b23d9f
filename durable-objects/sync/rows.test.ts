import { describe, expect, it } from "vitest";
import { validateChunk } from "./rows.ts";

const items = [{ key: "Gewinde", value: "M8", unit: null, position: 0 }];
const set = (key: string, rowversion: number, row: unknown = { articleId: key, rowversion, items, changedAt: "2026-01-01T00:00:00.000Z" }) => ({ rowversion, key, deleted: false, row });

describe("validateChunk", () => {
  it("passes over rows whose key is taken care of, counting them and ending at the chunk's last rowversion", () => {
    const written = new Set(["A2", "A3"]);
    const out = validateChunk("attributes", [set("A1", 10), set("A2", 11, { garbage: true }), set("A3", 12)], (k) => written.has(k));
    expect(out.changes.map((c) => c.key)).toEqual(["A1"]);
    expect(out.passedOver).toBe(2);
    expect(out.lastRowversion).toBe(12);
  });

  it("still checks the rowversion and key of a row it passes over, and names a bad row it does read", () => {
    expect(() => validateChunk("attributes", [set("A2", -1)], () => true)).toThrow(/row #0 \(key 'A2'\): rowversion/);
    expect(() => validateChunk("attributes", [{ rowversion: 1, key: "", deleted: false, row: {} }], () => true)).toThrow(/key: must be a string/);
    expect(() => validateChunk("attributes", [set("A1", 1), set("A9", 2, { articleId: "A9", rowversion: 2, changedAt: "2026-01-01T00:00:00.000Z", items: [{ key: "" }] })])).toThrow(/invalid attributes row #1 \(key 'A9'\): items\.0/);
  });
});
