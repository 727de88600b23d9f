// The load generator as its own process (spawned by bench/load.ts), so its CPU is measured
// apart from the components under test. Input: B2X_LOAD (JSON); output: one JSON line.
import { type LoadTarget, runStep } from "./load-mix.ts";

const input = JSON.parse(process.env.B2X_LOAD ?? "null") as { target: LoadTarget; concurrency: number; durationMs: number; seed: number } | null;
if (!input) {
  console.error("B2X_LOAD is required (JSON: target, concurrency, durationMs, seed)");
  process.exit(2);
}
const result = await runStep(input.target, input.concurrency, input.durationMs, input.seed);
process.stdout.write(`${JSON.stringify(result)}\n`);
