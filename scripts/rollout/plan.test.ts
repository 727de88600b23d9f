import { describe, expect, it } from "vitest";
import { parseCommandLine } from "./args.ts";
import { RolloutError } from "./errors.ts";
import { importParts } from "./move.ts";
import { applyPlan, planDeploy, planPromote, planRollback } from "./plan.ts";
import { type RolloutState, emptyState } from "./state.ts";
import { commandsOf, shell, versionIdIn } from "./wrangler.ts";

function withBuilds(...ids: string[]): RolloutState {
  const s = emptyState();
  for (const id of ids) s.builds[id] = { sha256: "0".repeat(64), bundle: `/b/${id}/index.js`, createdAt: "2026-01-01T00:00:00Z", gitCommit: null };
  return s;
}
const B1 = "b-111111111111";
const B2 = "b-222222222222";
const now = new Date("2026-11-23T12:00:00Z");
const cmds = (p: ReturnType<typeof planDeploy>) => commandsOf(p).map(shell);

describe("rollout plans", () => {
  it("a ring's first deployment is a wrangler deploy (it applies the DO migrations), at 100%", () => {
    const s = withBuilds(B1);
    expect(() => planDeploy(s, "canary", B1, 10)).toThrow(/first deployment takes 100%/);
    const p = planDeploy(s, "canary", B1);
    expect(p).toMatchObject({ upload: "first-deploy", percentage: 100, alongside: null });
    expect(cmds(p)).toEqual([`wrangler deploy --env canary --config wrangler.toml --no-bundle --message 'b2x deploy build ${B1} to canary' /b/${B1}/index.js`]);
  });

  it("a later build is uploaded once and can take a percentage beside the live version", () => {
    const s = withBuilds(B1, B2);
    applyPlan(s, planDeploy(s, "canary", B1), "v1", now);
    const p = planDeploy(s, "canary", B2, 10);
    expect(p).toMatchObject({ upload: "upload", alongside: "v1", percentage: 10 });
    expect(cmds(p)).toEqual([
      `wrangler versions upload --env canary --config wrangler.toml --no-bundle --tag ${B2} --message 'b2x deploy build ${B2} to canary' /b/${B2}/index.js`,
      `wrangler versions deploy '<new-version-id>@10%' v1@90% --env canary --config wrangler.toml --yes --message 'b2x deploy build ${B2} to canary'`,
    ]);
    applyPlan(s, p, "v2", now);
    // Taking the same build to 100% reuses its version: no second upload.
    const full = planDeploy(s, "canary", B2);
    expect(full).toMatchObject({ upload: null, versionId: "v2", alongside: null });
    expect(cmds(full)).toEqual([`wrangler versions deploy v2@100% --env canary --config wrangler.toml --yes --message 'b2x deploy build ${B2} to canary'`]);
    expect(() => planDeploy(applyPlanned(s, full, "v2"), "canary", B2)).toThrow(/already live in 'canary' at 100%/);
  });

  it("promotes the build live in a ring to the next ring only, forwards only, and only when fully live", () => {
    const s = withBuilds(B1, B2);
    expect(() => planPromote(s, "canary", "early")).toThrow(/nothing is deployed in 'canary'/);
    applyPlan(s, planDeploy(s, "canary", B1), "v1", now);
    expect(() => planPromote(s, "canary", "stable")).toThrow(/skips 'early'/);
    expect(() => planPromote(s, "early", "canary")).toThrow(/forwards/);
    expect(() => planPromote(s, "canary", "canary")).toThrow(/forwards/);
    const p = planPromote(s, "canary", "early");
    expect(p).toMatchObject({ command: "promote", ring: "early", buildId: B1, bundle: `/b/${B1}/index.js`, upload: "first-deploy" });
    applyPlan(s, p, "e1", now);
    applyPlan(s, planDeploy(s, "canary", B2, 25), "v2", now);
    expect(() => planPromote(s, "canary", "early")).toThrow(/on 25% only/);
  });

  it("rolls a ring back to the deployment before, step by step, and refuses when there is none", () => {
    const s = withBuilds(B1, B2);
    expect(() => planRollback(s, "stable")).toThrow(/nothing to roll back/);
    applyPlan(s, planDeploy(s, "stable", B1), "v1", now);
    expect(() => planRollback(s, "stable")).toThrow(/no previous version/);
    applyPlan(s, planDeploy(s, "stable", B2, 10), "v2", now);
    const back = planRollback(s, "stable");
    expect(back).toMatchObject({ versionId: "v1", percentage: 100, buildId: B1, pop: true, upload: null });
    expect(commandsOf(back).map(shell)).toEqual([`wrangler versions deploy v1@100% --env stable --config wrangler.toml --yes --message 'b2x rollback build ${B1} to stable'`]);
    applyPlan(s, back, "v1", now);
    expect(s.rings.stable.stack.map((d) => d.versionId)).toEqual(["v1"]);
    expect(s.rings.stable.history.map((d) => `${d.how}:${d.versionId}`)).toEqual(["deploy:v1", "deploy:v2", "rollback:v1"]);
  });

  it("refuses unknown builds and bad percentages", () => {
    const s = withBuilds(B1);
    expect(() => planDeploy(s, "canary", B2)).toThrow(RolloutError);
    expect(() => planDeploy(s, "canary", B2)).toThrow(/unknown build 'b-222222222222' \(known: b-111111111111\)/);
    expect(() => planDeploy(emptyState(), "canary", B1)).toThrow(/no builds yet/);
    expect(() => planDeploy(s, "canary", B1, 0)).toThrow(/--percentage/);
    expect(() => planDeploy(s, "canary", B1, 101)).toThrow(/--percentage/);
  });

  it("reads the version id wrangler prints, and says so when there is none", () => {
    expect(versionIdIn("Uploaded b2x-edge-canary\nWorker Version ID: 0a1b2c3d-0000-4000-8000-000000000001\n")).toBe("0a1b2c3d-0000-4000-8000-000000000001");
    expect(versionIdIn("Deployed b2x-edge-canary triggers\nCurrent Version ID: 0a1b2c3d-0000-4000-8000-000000000002")).toBe("0a1b2c3d-0000-4000-8000-000000000002");
    expect(() => versionIdIn("Authentication error")).toThrow(/did not print a version id/);
  });
});

function applyPlanned(s: RolloutState, p: ReturnType<typeof planDeploy>, v: string): RolloutState {
  applyPlan(s, p, v, now);
  return s;
}

describe("rollout command line", () => {
  it("parses each command and refuses what it cannot run", () => {
    expect(parseCommandLine(["deploy", "--ring", "canary", "--percentage", "10%", "--dry-run"], {}).command).toMatchObject({ kind: "deploy", ring: "canary", percentage: 10, dryRun: true, build: null });
    expect(parseCommandLine(["deploy", "--ring", "canary", "--dry-run"], {}).statePath).toBe(".data/rollout/dry-run-state.json");
    expect(parseCommandLine(["rollback", "--ring", "early"], {}).statePath).toBe(".data/rollout/state.json");
    expect(parseCommandLine(["plan", "promote", "--from", "canary", "--to", "early"], {}).command).toMatchObject({ kind: "promote", plan: true });
    expect(parseCommandLine(["move-tenant", "acme", "--to", "early"], { B2X_URL: "http://r", B2X_ADMIN_TOKEN: "t" }).command).toMatchObject({ kind: "move-tenant", tenantId: "acme", url: "http://r" });
    const bad: [string[], RegExp][] = [
      [["deploy", "--ring", "beta"], /unknown ring 'beta' for --ring/],
      [["deploy"], /--ring is required/],
      [["deploy", "--ring", "canary", "--build", "latest"], /--build must look like/],
      [["deploy", "--ring", "canary", "--percentage", "50.5"], /--percentage/],
      [["promote", "--from", "canary"], /--to is required/],
      [["launch"], /unknown command 'launch'/],
      [["deploy", "--ring", "canary", "--force"], /Unknown option '--force'/],
      [["move-tenant", "acme", "--to", "early"], /needs --url/],
      [["move-tenant", "Acme!", "--to", "early", "--url", "http://r", "--admin-token", "t"], /needs a tenant id/],
    ];
    for (const [argv, message] of bad) expect(() => parseCommandLine(argv, {}), argv.join(" ")).toThrow(message);
  });
});

describe("move import parts", () => {
  it("splits a large snapshot under the body limit, keeping every row once and the run/epoch in the first part", () => {
    const big = "x".repeat(2_000);
    const outbox = Array.from({ length: 400 }, (_, i) => ({
      seq: i + 1, order_id: `ord_${i}`, customer_id: "K1", request_id: "r", request: big, status: "pending" as const, erp_order_no: null, erp_status: null,
      reject_reason: null, total: null, attempts: 0, next_attempt_at: 0, last_error: null, created_at: 0, updated_at: 0,
    }));
    const keys = outbox.map((o) => ({ customer_id: "K1", key: `k-${o.seq}`, fingerprint: "f", order_id: o.order_id, receipt: null, created_at: 0 }));
    const parts = importParts({ outbox, idempotencyKeys: keys, orderAudit: [{ id: 1, entry: "{}" }], syncActive: { runId: "run-1", mode: "full" }, epoch: 7 });
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) expect(JSON.stringify(p).length).toBeLessThan(300 * 1024);
    expect(parts.flatMap((p) => p.outbox).map((o) => o.order_id)).toEqual(outbox.map((o) => o.order_id));
    expect(parts.flatMap((p) => p.idempotencyKeys)).toHaveLength(400);
    expect(parts[0]).toMatchObject({ syncActive: { runId: "run-1" }, epoch: 7 });
    expect(parts.slice(1).every((p) => p.syncActive === undefined && p.epoch === undefined)).toBe(true);
  });
});
