import { describe, expect, it } from "vitest";
import { measureInterleaved, pairedDifferences } from "./interleave.ts";

describe("measureInterleaved", () => {
  it("runs every scenario once per round, rotating the first, and measures only after the warmup", async () => {
    const order: string[] = [];
    const step = (name: string) => async (round: number) => void order.push(`${name}${round}`);
    const samples = await measureInterleaved(3, 1, { a: step("a"), b: step("b"), c: step("c") });
    expect(order).toEqual(["a0", "b0", "c0", "b1", "c1", "a1", "c2", "a2", "b2", "a3", "b3", "c3"]);
    expect(Object.values(samples).map((s) => s.length)).toEqual([3, 3, 3]);
    expect(samples.a.every((ms) => ms >= 0)).toBe(true);
  });

  it("propagates a failing scenario instead of recording it", async () => {
    await expect(measureInterleaved(2, 0, { ok: async () => {}, bad: async () => Promise.reject(new Error("HTTP 500")) })).rejects.toThrow("HTTP 500");
  });
});

describe("pairedDifferences", () => {
  it("subtracts round by round", () => {
    expect(pairedDifferences([1, 2, 3], [1.5, 4, 3])).toEqual([0.5, 2, 0]);
  });

  it("refuses samples of different lengths", () => {
    expect(() => pairedDifferences([1], [1, 2])).toThrow("differ in length");
  });
});
