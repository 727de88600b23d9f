import { dirname, join, resolve } from "node:path";
import { type AdminClient, type FetchLike, adminClient } from "./admin-client.ts";
import { type Change, type Parsed, parseCommandLine } from "./args.ts";
import { buildOnce } from "./builds.ts";
import { RolloutError } from "./errors.ts";
import { execute } from "./execute.ts";
import { moveTenant } from "./move.ts";
import { type Plan, planDeploy, planPromote, planRollback } from "./plan.ts";
import { type TenantRing, formatMap, rolloutMap } from "./ring-map.ts";
import { type RolloutState, loadState, saveState } from "./state.ts";
import { type Wrangler, commandsOf, shell } from "./wrangler.ts";

export interface RunDeps {
  root: string;
  wrangler: Wrangler;
  fetch?: FetchLike;
  out: (line: string) => void;
  env?: Record<string, string | undefined>;
}

function planOf(state: RolloutState, c: Change, buildId: string | null): Plan {
  switch (c.kind) {
    case "deploy":
      return planDeploy(state, c.ring, buildId!, c.percentage);
    case "promote":
      return planPromote(state, c.from, c.to, c.percentage);
    case "rollback":
      return planRollback(state, c.ring);
  }
}

async function tenantsVia(admin: AdminClient | null): Promise<TenantRing[]> {
  if (!admin) return [];
  const { tenants } = await admin.call<{ tenants: TenantRing[] }>("GET", "/tenants");
  return tenants.map((t) => ({ tenantId: t.tenantId, rolloutRing: t.rolloutRing }));
}

/**
 * One CLI invocation. The state file is read once and written once, at the end, only when the
 * command succeeded: an unknown ring, build or version, a refused promotion or a failed wrangler
 * command leave it exactly as it was.
 */
export async function runRollout(argv: string[], deps: RunDeps): Promise<{ parsed: Parsed; state: RolloutState }> {
  const parsed = parseCommandLine(argv, deps.env ?? process.env);
  const { command: cmd } = parsed;
  const statePath = resolve(deps.root, parsed.statePath);
  const state = loadState(statePath);
  const admin = (url: string | null, token: string | null) => (url && token ? adminClient(url, token, deps.fetch) : null);
  const out = deps.out;

  if (cmd.kind === "status") {
    out(formatMap(rolloutMap(state, await tenantsVia(admin(cmd.url, cmd.adminToken)))));
    return { parsed, state };
  }

  if (cmd.kind === "move-tenant") {
    const client = admin(cmd.url, cmd.adminToken)!;
    const report = await moveTenant(client, cmd.tenantId, cmd.to, { dryRun: cmd.dryRun, log: out });
    out(`${cmd.dryRun ? "would move" : "moved"} ${report.tenantId}: ${report.from} → ${report.to}`);
    for (const s of report.steps) out(`  ${s}`);
    const map = rolloutMap(state, await tenantsVia(client));
    if (cmd.dryRun) map.tenants[cmd.tenantId] = { ...map.rings[cmd.to], ring: cmd.to };
    state.log.push({ at: new Date().toISOString(), command: `move-tenant ${cmd.tenantId} --to ${cmd.to}`, dryRun: cmd.dryRun, commands: report.steps, map: map as unknown as Record<string, unknown> });
    saveState(statePath, state);
    out(formatMap(map));
    return { parsed, state };
  }

  // deploy / promote / rollback (and `plan` of one of them)
  let buildId = cmd.kind === "deploy" ? cmd.build : null;
  const buildsDir = join(dirname(statePath), "builds");
  if (cmd.kind === "deploy" && buildId === null) {
    if (cmd.plan) buildId = "<new-build>";
    else {
      const { id, build } = await buildOnce(deps.wrangler, deps.root, buildsDir, cmd.ring);
      state.builds[id] ??= build;
      buildId = id;
      out(`built ${id} (sha256 ${build.sha256.slice(0, 16)}…)`);
    }
  }
  if (cmd.plan && buildId === "<new-build>") state.builds[buildId] = { sha256: "", bundle: join(buildsDir, "<new-build>", "index.js"), createdAt: "", gitCommit: null };
  const plan = planOf(state, cmd, buildId);
  if (cmd.plan) {
    out(`plan: ${plan.command} build ${plan.buildId} to ${plan.ring}${plan.percentage < 100 ? ` at ${plan.percentage}% beside ${plan.alongside}` : ""}`);
    for (const c of commandsOf(plan)) out(`  ${shell(c)}`);
    return { parsed, state };
  }
  const done = await execute(deps.wrangler, state, plan, { dryRun: cmd.dryRun, scratch: buildsDir });
  for (const c of done.checks) out(`  checked: ${c}`);
  for (const c of done.commands) out(`  ${cmd.dryRun ? "would run" : "ran"}: ${c}`);
  const map = rolloutMap(state, await tenantsVia(admin(deps.env?.B2X_URL ?? null, deps.env?.B2X_ADMIN_TOKEN ?? null)).catch(() => []));
  state.log.push({ at: new Date().toISOString(), command: argv.join(" "), dryRun: cmd.dryRun, commands: done.commands, map: map as unknown as Record<string, unknown> });
  saveState(statePath, state);
  out(`${plan.ring} → ${done.deployment.versionId} (build ${done.deployment.buildId}, ${done.deployment.percentage}%)${cmd.dryRun ? " [dry run]" : ""}`);
  out(formatMap(map));
  return { parsed, state };
}

export { RolloutError };
