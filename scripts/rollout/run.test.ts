import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runRollout } from "./run.ts";
import { loadState, saveState } from "./state.ts";
import { localWrangler } from "./wrangler.ts";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "b2x-rollout-"));
const statePath = join(dir, "state.json");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real CLI path with the project's real wrangler: dry runs run wrangler's own --dry-run checks. */
async function rollout(...argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  await runRollout([...argv, "--state", statePath], { root, wrangler: localWrangler(root), out: (l) => lines.push(l), env: {} });
  return lines;
}

const fileBytes = () => readFileSync(statePath, "utf8");

describe("rollout CLI dry runs against the real wrangler", { timeout: 120_000 }, () => {
  it("builds once, deploys to canary, promotes the same build ring by ring, canaries a percentage and rolls back", async () => {
    const deployed = await rollout("deploy", "--ring", "canary", "--dry-run");
    const s1 = loadState(statePath);
    const [b1] = Object.keys(s1.builds);
    expect(b1).toMatch(/^b-[0-9a-f]{12}$/);
    expect(existsSync(s1.builds[b1!]!.bundle)).toBe(true);
    // Really checked with wrangler, and recorded: the exact command and the resulting map.
    expect(deployed).toContain("  checked: wrangler deploy --dry-run --env canary --config wrangler.toml --outdir " + join(dir, "builds", `check-canary-${process.pid}`));
    expect(deployed).toContain(`  checked: wrangler deploy --dry-run --env canary --config wrangler.toml --no-bundle ${s1.builds[b1!]!.bundle}`);
    expect(s1.log.at(-1)).toMatchObject({ dryRun: true, commands: [`wrangler deploy --env canary --config wrangler.toml --no-bundle --message 'b2x deploy build ${b1} to canary' ${s1.builds[b1!]!.bundle}`] });
    expect(s1.log.at(-1)!.map).toMatchObject({ rings: { canary: { versionId: `dry-run:canary:${b1}`, buildId: b1, percentage: 100 }, early: { versionId: null } } });

    await rollout("promote", "--from", "canary", "--to", "early", "--dry-run");
    const s2 = loadState(statePath);
    expect(s2.rings.early.stack.at(-1)).toMatchObject({ buildId: b1, how: "promote" });
    expect(Object.keys(s2.builds)).toEqual([b1]); // the same artifact, not a rebuild

    // A second build (the same bundle with one more line, as a code change would give) canaried at 10%.
    const b2Dir = join(dir, "builds", "b-222222222222");
    cpSync(join(dir, "builds", b1!), b2Dir, { recursive: true });
    const b2Bundle = join(b2Dir, "index.js");
    writeFileSync(b2Bundle, readFileSync(b2Bundle, "utf8") + "\n// change\n");
    s2.builds["b-222222222222"] = { sha256: createHash("sha256").update(readFileSync(b2Bundle)).digest("hex"), bundle: b2Bundle, createdAt: new Date().toISOString(), gitCommit: null };
    saveState(statePath, s2);
    const canaried = await rollout("deploy", "--ring", "canary", "--build", "b-222222222222", "--percentage", "10", "--dry-run");
    expect(canaried).toContain(`  checked: wrangler versions upload --dry-run --env canary --config wrangler.toml --no-bundle ${b2Bundle}`);
    expect(canaried.join("\n")).toContain(`  would run: wrangler versions deploy dry-run:canary:b-222222222222@10% dry-run:canary:${b1}@90% --env canary --config wrangler.toml --yes --message 'b2x deploy build b-222222222222 to canary'`);

    const rolled = await rollout("rollback", "--ring", "canary", "--dry-run");
    expect(rolled.join("\n")).toContain(`  would run: wrangler versions deploy dry-run:canary:${b1}@100% --env canary --config wrangler.toml --yes --message 'b2x rollback build ${b1} to canary'`);
    const s3 = loadState(statePath);
    expect(s3.rings.canary.stack.map((d) => d.buildId)).toEqual([b1]);
    expect(s3.rings.canary.history.map((d) => d.how)).toEqual(["deploy", "deploy", "rollback"]);

    const status = await rollout("status");
    expect(status.join("\n")).toMatch(new RegExp(`ring canary  → dry-run:canary:${b1} \\(build ${b1}, 100%\\)`));
    expect(status.join("\n")).toMatch(/ring stable  → \(nothing deployed\)/);
  });

  it("refuses unknown rings, builds and skipped rings, leaving the state file as it was", async () => {
    const before = fileBytes();
    await expect(rollout("deploy", "--ring", "beta", "--dry-run")).rejects.toThrow(/unknown ring 'beta'/);
    await expect(rollout("deploy", "--ring", "canary", "--build", "b-000000000000", "--dry-run")).rejects.toThrow(/unknown build 'b-000000000000'/);
    await expect(rollout("promote", "--from", "canary", "--to", "stable", "--dry-run")).rejects.toThrow(/skips 'early'/);
    await expect(rollout("rollback", "--ring", "stable", "--dry-run")).rejects.toThrow(/nothing to roll back/);
    // A build whose bundle changed on disk is not deployed.
    const s = loadState(statePath);
    writeFileSync(s.builds["b-222222222222"]!.bundle, "tampered");
    saveState(statePath, s);
    const tampered = fileBytes();
    await expect(rollout("deploy", "--ring", "stable", "--build", "b-222222222222", "--dry-run")).rejects.toThrow(/changed on disk/);
    expect(fileBytes()).toBe(tampered);
    expect(JSON.parse(tampered).log).toEqual(JSON.parse(before).log);
    // `plan` prints and records nothing.
    const planned = await rollout("plan", "promote", "--from", "early", "--to", "stable");
    expect(planned[0]).toMatch(/^plan: promote build b-[0-9a-f]{12} to stable/);
    expect(fileBytes()).toBe(tampered);
  });
});
