// A CPU profile of the Worker's isolate (the Durable Object runs in it) over the V8 inspector
// that Miniflare opens, summarized for a benchmark: where the thread's time goes, and how long
// it stays busy at a stretch (a live call that arrives meanwhile waits for the stretch to end).
import { writeFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
/** The `Profiler.stop` result of the Chrome DevTools Protocol (the parts read here). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  seconds: number;
  /** Share of the profiled time per function (self time), largest first; `(idle)` included. */
  top: { name: string; ms: number; share: number }[];
  /** Stretches of consecutive non-idle samples, in ms: how long a live call may have to wait. */
  busy: { stretches: number; over5ms: number; over10ms: number; over20ms: number; longest: { ms: number; mostly: string }[] };
}

const IDLE = new Set(["(idle)", "(program)"]);
const label = (f: CallFrame) => (f.functionName.startsWith("(") ? f.functionName : `${f.functionName || "(anonymous)"} ${f.url.split("/").pop() ?? ""}:${f.lineNumber + 1}`);

/** Self time per function and the busy stretches of a profile. */
export function summarizeProfile(p: CpuProfile): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, label(n.callFrame)]));
  const self = new Map<string, number>();
  const stretches: { ms: number; mostly: string }[] = [];
  let run: Map<string, number> | undefined;
  let runMs = 0;
  const close = () => {
    if (!run) return;
    const mostly = [...run].sort((a, b) => b[1] - a[1])[0]![0];
    stretches.push({ ms: runMs, mostly });
    run = undefined;
    runMs = 0;
  };
  p.samples.forEach((id, i) => {
    const name = byId.get(id) ?? "?";
    // A sample's delta is the time since the previous one: attribute it to this sample.
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    self.set(name, (self.get(name) ?? 0) + ms);
    if (IDLE.has(name)) return close();
    run ??= new Map();
    run.set(name, (run.get(name) ?? 0) + ms);
    runMs += ms;
  });
  close();
  const total = (p.endTime - p.startTime) / 1000;
  const top = [...self].map(([name, ms]) => ({ name, ms, share: ms / total })).sort((a, b) => b.ms - a.ms).slice(0, 15);
  const sorted = [...stretches].sort((a, b) => b.ms - a.ms);
  return {
    seconds: total / 1000,
    top,
    busy: { stretches: stretches.length, over5ms: stretches.filter((s) => s.ms >= 5).length, over10ms: stretches.filter((s) => s.ms >= 10).length, over20ms: stretches.filter((s) => s.ms >= 20).length, longest: sorted.slice(0, 8) },
  };
}

/** One CDP session: numbered requests, answered by id. */
async function inspector(url: string): Promise<{ call(method: string, params?: unknown): Promise<unknown>; close(): void }> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", () => reject(new Error(`inspector ${url} unreachable`)), { once: true });
  });
  let next = 1;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const w = msg.id === undefined ? undefined : waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id!);
    if (msg.error) w.reject(new Error(msg.error.message));
    else w.resolve(msg.result);
  });
  return {
    call: (method, params) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/**
 * Profiles the first isolate the inspector on `port` lists for `seconds` (sampling every 200 us),
 * writes the raw profile to `file` (open it in Chrome DevTools) and returns its summary.
 */
export async function profileIsolate(port: number, seconds: number, file: string): Promise<ProfileSummary> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  if (targets.length === 0) throw new Error("the inspector lists no isolate");
  const session = await inspector(targets[0]!.webSocketDebuggerUrl);
  try {
    await session.call("Profiler.enable");
    await session.call("Profiler.setSamplingInterval", { interval: 200 });
    await session.call("Profiler.start");
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const { profile } = (await session.call("Profiler.stop")) as { profile: CpuProfile };
    writeFileSync(file, JSON.stringify(profile));
    return summarizeProfile(profile);
  } finally {
    session.close();
  }
}

/** The summary as lines for a benchmark's output. */
export function printProfile(s: ProfileSummary, file: string): void {
  console.log(`\nisolate profile: ${s.seconds.toFixed(1)} s (${file})`);
  for (const t of s.top) console.log(`  ${(t.share * 100).toFixed(1).padStart(5)}%  ${t.ms.toFixed(0).padStart(7)} ms  ${t.name}`);
  const b = s.busy;
  console.log(`  busy stretches (JS or GC samples in a row; "(program)" counts as not busy): ${b.stretches}, >= 5 ms: ${b.over5ms}, >= 10 ms: ${b.over10ms}, >= 20 ms: ${b.over20ms}`);
  for (const l of b.longest) console.log(`    ${l.ms.toFixed(1).padStart(6)} ms  mostly ${l.mostly}`);
}
