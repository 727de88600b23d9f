// The load generator as its own process (spawned by bench/load.ts), so its CPU is measured
// apart from the components under test. Input: the JSON file named by B2X_LOAD_FILE (a catalog's
// ids do not fit an environment variable); output: one JSON line.
import { readFileSync } from "node:fs";
import { type LoadTarget, runStep } from "./load-mix.ts";

const file = process.env.B2X_LOAD_FILE;
if (!file) {
  console.error("B2X_LOAD_FILE is required (a JSON file: target, concurrency, durationMs, seed)");
  process.exit(2);
}
const input = JSON.parse(readFileSync(file, "utf8")) as { target: LoadTarget; concurrency: number; durationMs: number; seed: number };
const result = await runStep(input.target, input.concurrency, input.durationMs, input.seed);
process.stdout.write(`${JSON.stringify(result)}\n`);
