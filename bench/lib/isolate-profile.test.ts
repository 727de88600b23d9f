import { describe, expect, it } from "vitest";
import { type CpuProfile, summarizeProfile } from "./isolate-profile.ts";

const frame = (functionName: string, url = "", lineNumber = 0) => ({ functionName, url, lineNumber });

describe("isolate profile summary", () => {
  it("adds self time per function and measures the busy stretches between idle samples", () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame("(idle)") },
        { id: 2, callFrame: frame("validateChunk", "file:///bundle/index.js", 41) },
        { id: 3, callFrame: frame("(garbage collector)") },
        { id: 4, callFrame: frame("(program)") },
      ],
      startTime: 0,
      endTime: 30_000,
      // idle, 3 x validate + 1 x GC (one 12 ms stretch), program, validate (a 2 ms stretch), idle
      samples: [1, 2, 2, 2, 3, 4, 2, 1],
      timeDeltas: [1000, 3000, 3000, 3000, 3000, 1000, 2000, 14000],
    };
    const s = summarizeProfile(profile);
    expect(s.seconds).toBeCloseTo(0.03);
    expect(s.top.find((t) => t.name === "validateChunk index.js:42")?.ms).toBe(11);
    expect(s.top.find((t) => t.name === "(garbage collector)")?.ms).toBe(3);
    expect(s.top.find((t) => t.name === "(idle)")?.ms).toBe(15);
    expect(s.busy).toEqual({ stretches: 2, over5ms: 1, over10ms: 1, over20ms: 0, longest: [{ ms: 12, mostly: "validateChunk index.js:42" }, { ms: 2, mostly: "validateChunk index.js:42" }] });
  });
});
