import { rmSync } from "node:fs";
import { join } from "node:path";
import { verifyBuild } from "./builds.ts";
import { RolloutError } from "./errors.ts";
import { type Plan, applyPlan } from "./plan.ts";
import type { Deployment, RolloutState } from "./state.ts";
import { NEW_VERSION, type Wrangler, checksOf, commandsOf, shell, versionIdIn } from "./wrangler.ts";

export interface Executed {
  deployment: Deployment;
  /** The commands that carry the plan out (run for real, or only recorded in a dry run). */
  commands: string[];
  /** What a dry run really ran to check the ring builds and the bundle uploads. */
  checks: string[];
}

/** The placeholder a dry run records for a version Cloudflare would only assign on upload. */
export const dryRunVersion = (plan: Plan): string => `dry-run:${plan.ring}:${plan.buildId}`;

/**
 * Carries a plan out and records it in `state` (the caller saves the state only after this
 * returns: a failed command leaves the state file untouched). Dry run: the ring's build and
 * the bundle's upload are checked with wrangler's own `--dry-run`, nothing reaches Cloudflare.
 */
export async function execute(wrangler: Wrangler, state: RolloutState, plan: Plan, opts: { dryRun: boolean; scratch: string }): Promise<Executed> {
  if (plan.upload !== null) {
    const problem = verifyBuild(plan.buildId, state.builds[plan.buildId]!);
    if (problem) throw new RolloutError(problem);
  }
  const commands = commandsOf(plan);
  if (opts.dryRun) {
    const outdir = join(opts.scratch, `check-${plan.ring}-${process.pid}`);
    const checks = checksOf(plan, outdir);
    try {
      for (const c of checks) await wrangler.run(c);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    const version = plan.versionId ?? dryRunVersion(plan);
    return { deployment: applyPlan(state, plan, version, new Date()), commands: commands.map((c) => shell(c.map((a) => a.replace(NEW_VERSION, version)))), checks: checks.map(shell) };
  }
  let version = plan.versionId;
  const ran: string[] = [];
  for (const c of commands) {
    const known = version;
    const args = known ? c.map((a) => a.replace(NEW_VERSION, known)) : c;
    const out = await wrangler.run(args);
    ran.push(shell(args));
    if (c[0] === "deploy" || (c[0] === "versions" && c[1] === "upload")) {
      version = versionIdIn(out);
      // Uploaded: even if the traffic switch below fails, a retry reuses this version.
      state.rings[plan.ring].versions[plan.buildId] = version;
    }
  }
  if (!version) throw new RolloutError("no version id to record");
  return { deployment: applyPlan(state, plan, version, new Date()), commands: ran, checks: [] };
}
