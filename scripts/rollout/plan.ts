import { RolloutError } from "./errors.ts";
import { type Ring, assertPromotion } from "./rings.ts";
import { type Deployment, type RolloutState, currentOf } from "./state.ts";

/**
 * What one deploy, promote or rollback does to one ring, decided from the state alone (pure:
 * `plan` prints it, `--dry-run` checks and records it, a real run executes it).
 */
export interface Plan {
  command: "deploy" | "promote" | "rollback";
  ring: Ring;
  buildId: string;
  bundle: string;
  /**
   * How the build gets into the ring's script: `first-deploy` (the script has no version yet:
   * `wrangler deploy`, which also applies Durable Object migrations), `upload` (a new version
   * with `versions upload`), or null (this build is already a version of the ring's script).
   */
  upload: "first-deploy" | "upload" | null;
  /** The version to deploy when it is already known (re-deploy, rollback). */
  versionId: string | null;
  percentage: number;
  /** The version that keeps the rest of the traffic in a percentage deployment. */
  alongside: string | null;
  /** Rollback: the ring's top deployment is dropped, the one below becomes live again. */
  pop: boolean;
}

function buildOf(state: RolloutState, buildId: string) {
  const build = state.builds[buildId];
  if (!build) {
    const known = Object.keys(state.builds);
    throw new RolloutError(`unknown build '${buildId}'${known.length ? ` (known: ${known.join(", ")})` : " (no builds yet: run deploy without --build)"}`);
  }
  return build;
}

function parsePercentage(percentage: number): number {
  if (!Number.isInteger(percentage) || percentage < 1 || percentage > 100) throw new RolloutError(`--percentage must be a whole number from 1 to 100, got '${percentage}'`);
  return percentage;
}

/** Deploys `buildId` to `ring`, to all of its traffic or to a percentage beside the live version. */
export function planDeploy(state: RolloutState, ring: Ring, buildId: string, percentage = 100, command: Plan["command"] = "deploy"): Plan {
  const build = buildOf(state, buildId);
  const pct = parsePercentage(percentage);
  const current = currentOf(state, ring);
  const existing = state.rings[ring].versions[buildId] ?? null;
  if (current && current.buildId === buildId && current.percentage === pct) throw new RolloutError(`build '${buildId}' is already live in '${ring}' at ${pct}%`);
  if (!current && pct < 100) throw new RolloutError(`'${ring}' has no live version yet: its first deployment takes 100% of the traffic`);
  // A split keeps the ring's full version beside the new one (a split on a split keeps the older full one).
  const alongside = pct < 100 ? (current!.percentage === 100 ? current!.versionId : current!.alongside) : null;
  if (alongside !== null && alongside === existing) throw new RolloutError(`build '${buildId}' is the version '${ring}' would split against`);
  return {
    command, ring, buildId, bundle: build.bundle, upload: existing ? null : current ? "upload" : "first-deploy",
    versionId: existing, percentage: pct, alongside, pop: false,
  };
}

/** The same build (the same bundle) that is fully live in `from` goes to the next ring. */
export function planPromote(state: RolloutState, from: Ring, to: Ring, percentage = 100): Plan {
  assertPromotion(from, to);
  const live = currentOf(state, from);
  if (!live) throw new RolloutError(`nothing is deployed in '${from}' yet: deploy a build there first`);
  if (live.percentage < 100) throw new RolloutError(`'${from}' runs build '${live.buildId}' on ${live.percentage}% only: deploy it to 100% there (or roll back) before promoting`);
  return planDeploy(state, to, live.buildId, percentage, "promote");
}

/** The ring goes back to the deployment before its current one, in one `versions deploy`. */
export function planRollback(state: RolloutState, ring: Ring): Plan {
  const stack = state.rings[ring].stack;
  const current = stack.at(-1);
  const previous = stack.at(-2);
  if (!current) throw new RolloutError(`nothing is deployed in '${ring}': there is nothing to roll back`);
  if (!previous) throw new RolloutError(`'${ring}' has only one deployment (${current.versionId}): there is no previous version to roll back to`);
  return {
    command: "rollback", ring, buildId: previous.buildId, bundle: state.builds[previous.buildId]?.bundle ?? "",
    upload: null, versionId: previous.versionId, percentage: previous.percentage, alongside: previous.alongside, pop: true,
  };
}

/** Records an executed (or dry-run) plan: the ring's live stack, its versions, its history. */
export function applyPlan(state: RolloutState, plan: Plan, versionId: string, now: Date): Deployment {
  const ring = state.rings[plan.ring];
  const d: Deployment = {
    versionId, buildId: plan.buildId, percentage: plan.percentage, alongside: plan.alongside, deployedAt: now.toISOString(),
    how: plan.command,
  };
  if (plan.pop) ring.stack.pop();
  else ring.stack.push(d);
  ring.versions[plan.buildId] = versionId;
  ring.history.push(d);
  return d;
}
