// `npm run bench -- soak [--load-args "--articles 20000 --steps 1,4,16,64 --seconds 10"] [--skip-load] [--skip-suites]`
// `npm run bench -- soak --report-only [--log .data/soak/scenarios.jsonl]`
// The long run of issue #10: the fault and security suites with B2X_SOAK=1 (more fuzz runs,
// longer floods and fault loops) via vitest, then the load bench, all appending to one fresh
// scenario log; then the report bench/reports/soak-<date>.md is written from that log and
// printed. --report-only rebuilds the report from an existing log without running anything.
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { recordScenario } from "../test/support/scenario-log.ts";
import { parseScenarioLog, soakReport } from "./lib/soak-report.ts";

const { values } = parseArgs({
  options: {
    "report-only": { type: "boolean", default: false },
    log: { type: "string" },
    "load-args": { type: "string", default: "" },
    "skip-load": { type: "boolean", default: false },
    "skip-suites": { type: "boolean", default: false },
    out: { type: "string" },
  },
});
const root = resolve(import.meta.dirname, "..");
const logPath = resolve(root, values.log ?? ".data/soak/scenarios.jsonl");
const date = new Date().toISOString().slice(0, 10);
const outPath = resolve(root, values.out ?? `bench/reports/soak-${date}.md`);
const notes: string[] = [];

/** Runs a command with the soak environment, streaming its output; resolves with its exit code. */
function run(cmd: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((res) => {
    const p = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: "inherit" });
    p.on("exit", (code, signal) => res(code ?? (signal ? 128 : 1)));
  });
}

/** Tests vitest reported as failed that left no failed scenario line get one now, so none is hidden. */
function recordUnloggedFailures(vitestJson: string, env: Record<string, string>): void {
  if (!existsSync(vitestJson)) return;
  const report = JSON.parse(readFileSync(vitestJson, "utf8")) as { testResults?: { name: string; assertionResults?: { title: string; status: string; failureMessages?: string[] }[] }[] };
  const logged = new Set(parseScenarioLog(existsSync(logPath) ? readFileSync(logPath, "utf8") : "").records.filter((r) => !r.passed).map((r) => r.name));
  const previous = process.env.B2X_SCENARIO_LOG;
  process.env.B2X_SCENARIO_LOG = env.B2X_SCENARIO_LOG;
  for (const file of report.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      if (t.status !== "failed" || logged.has(t.title)) continue;
      const suite = /fault/i.test(file.name) ? "faults" : /security/i.test(file.name) ? "security" : "tests";
      recordScenario({ suite, name: t.title, passed: false, notes: `${relative(root, file.name)}: ${(t.failureMessages?.[0] ?? "failed").split("\n")[0]!.slice(0, 200)}` });
    }
  }
  if (previous === undefined) delete process.env.B2X_SCENARIO_LOG;
  else process.env.B2X_SCENARIO_LOG = previous;
}

if (!values["report-only"]) {
  mkdirSync(resolve(logPath, ".."), { recursive: true });
  rmSync(logPath, { force: true });
  const env = { B2X_SOAK: "1", B2X_SCENARIO_LOG: logPath };
  const started = Date.now();
  if (!values["skip-suites"]) {
    // Every test file whose path names faults or security, in any vitest project.
    const vitestJson = resolve(root, ".data/soak/vitest.json");
    const code = await run(join(root, "node_modules/.bin/vitest"), ["run", "fault", "security", "--passWithNoTests", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestJson}`], env);
    recordUnloggedFailures(vitestJson, env);
    notes.push(`- fault and security suites (B2X_SOAK=1): vitest exit ${code}, ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  }
  if (!values["skip-load"]) {
    const loadStarted = Date.now();
    const args = values["load-args"].split(/\s+/).filter(Boolean);
    const code = await run(process.execPath, ["--import", "tsx", join(root, "bench/load.ts"), ...args], env);
    if (code !== 0) {
      process.env.B2X_SCENARIO_LOG = logPath;
      recordScenario({ suite: "load", name: "load bench run", passed: false, notes: `bench/load.ts exited ${code} (see its output)` });
    }
    notes.push(`- load bench (\`npm run bench -- load ${args.join(" ")}\`): exit ${code}, ${((Date.now() - loadStarted) / 60_000).toFixed(1)} min`);
  }
}

if (!existsSync(logPath)) {
  console.error(`no scenario log at ${logPath}: run the soak first, or pass --log`);
  process.exit(2);
}
const { records, unreadable } = parseScenarioLog(readFileSync(logPath, "utf8"));
let commit = "unknown";
try {
  commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
} catch {
  /* not a git checkout */
}
const report = soakReport(records, {
  date, commit, cores: cpus().length, unreadable, logPath: relative(root, logPath),
  command: values["report-only"] ? `npm run bench -- soak --report-only${values.log ? ` --log ${values.log}` : ""}` : `npm run bench -- soak${values["load-args"] ? ` --load-args "${values["load-args"]}"` : ""}`,
  extra: notes,
});
mkdirSync(resolve(outPath, ".."), { recursive: true });
writeFileSync(outPath, report);
console.log(report);
console.log(`report written to ${relative(root, outPath)}`);
const failed = records.filter((r) => !r.passed).length;
console.log(JSON.stringify({ bench: "soak", scenarios: records.length, failed, lostOrders: records.reduce((a, r) => a + (r.lostOrders ?? 0), 0), duplicatedOrders: records.reduce((a, r) => a + (r.duplicatedOrders ?? 0), 0), report: relative(root, outPath) }));
process.exitCode = failed > 0 ? 1 : 0;
