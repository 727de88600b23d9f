import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { RolloutError } from "./errors.ts";
import type { Plan } from "./plan.ts";

/** Runs wrangler with arguments; resolves with its output, rejects with a RolloutError. */
export interface Wrangler {
  run(args: string[]): Promise<string>;
}

/** The project's own wrangler (node_modules/.bin), no telemetry. */
export function localWrangler(root: string): Wrangler {
  const bin = resolve(root, "node_modules/.bin/wrangler");
  return {
    run: (args) =>
      new Promise((ok, fail) => {
        execFile(bin, args, { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" }, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
          if (err) fail(new RolloutError(`wrangler ${args.join(" ")} failed:\n${`${stdout}${stderr}`.trim().split("\n").slice(-15).join("\n")}`));
          else ok(`${stdout}${stderr}`);
        });
      }),
  };
}

/** Shell form of an argv, for printing and the state log. */
export const shell = (args: string[]): string => ["wrangler", ...args].map((a) => (/^[\w@%./:=-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");

/**
 * Always named: given a bundle path outside the project, wrangler would look for its
 * configuration beside the bundle instead.
 */
export const CONFIG = ["--config", "wrangler.toml"];

export const NEW_VERSION = "<new-version-id>";

const message = (plan: Plan) => `b2x ${plan.command} build ${plan.buildId} to ${plan.ring}`;

/** The wrangler commands that carry out a plan (a version not yet uploaded shows as NEW_VERSION). */
export function commandsOf(plan: Plan): string[][] {
  const env = ["--env", plan.ring, ...CONFIG];
  if (plan.upload === "first-deploy") return [["deploy", ...env, "--no-bundle", "--message", message(plan), plan.bundle]];
  const out: string[][] = [];
  if (plan.upload === "upload") out.push(["versions", "upload", ...env, "--no-bundle", "--tag", plan.buildId, "--message", message(plan), plan.bundle]);
  const version = plan.versionId ?? NEW_VERSION;
  const specs = plan.alongside ? [`${version}@${plan.percentage}%`, `${plan.alongside}@${100 - plan.percentage}%`] : [`${version}@100%`];
  out.push(["versions", "deploy", ...specs, ...env, "--yes", "--message", message(plan)]);
  return out;
}

/** What `--dry-run` really runs: the ring's configuration builds, and the plan's bundle uploads (dry). */
export function checksOf(plan: Plan, outdir: string): string[][] {
  const checks = [["deploy", "--dry-run", "--env", plan.ring, ...CONFIG, "--outdir", outdir]];
  // The bundle itself, the way the real command would send it (first deployment or new version).
  if (plan.upload === "first-deploy") checks.push(["deploy", "--dry-run", "--env", plan.ring, ...CONFIG, "--no-bundle", plan.bundle]);
  if (plan.upload === "upload") checks.push(["versions", "upload", "--dry-run", "--env", plan.ring, ...CONFIG, "--no-bundle", plan.bundle]);
  return checks;
}

/** The version id wrangler printed (`Worker Version ID:` after an upload, `Current Version ID:` after a deploy). */
export function versionIdIn(output: string): string {
  const m = /(?:Worker|Current) Version ID:\s*([0-9a-f-]{36})/i.exec(output);
  if (!m) throw new RolloutError(`wrangler did not print a version id:\n${output.trim().split("\n").slice(-10).join("\n")}`);
  return m[1]!;
}
