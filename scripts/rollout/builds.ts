import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import type { Ring } from "./rings.ts";
import type { Build } from "./state.ts";
import { CONFIG, type Wrangler } from "./wrangler.ts";

const BUILD_ID = /^b-[0-9a-f]{12}$/;
export const isBuildId = (id: string): boolean => BUILD_ID.test(id);

function gitCommit(root: string): string | null {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, stdio: ["ignore", "pipe", "ignore"] }).toString().trim() || null;
  } catch {
    return null;
  }
}

/**
 * Builds the edge Worker once: wrangler bundles it (`deploy --dry-run --outdir`, offline) and
 * the bundle is kept under `<dir>/<id>/`, its id derived from its SHA-256. Every ring then gets
 * exactly these bytes (`versions upload --no-bundle`): what canary tested is what stable runs.
 * Ring differences are bindings and vars, never code.
 */
export async function buildOnce(wrangler: Wrangler, root: string, dir: string, ring: Ring): Promise<{ id: string; build: Build }> {
  const tmp = join(dir, `.tmp-${process.pid}-${Date.now()}`);
  await wrangler.run(["deploy", "--dry-run", "--env", ring, ...CONFIG, "--outdir", tmp]);
  const bundle = readFileSync(join(tmp, "index.js"));
  const sha256 = createHash("sha256").update(bundle).digest("hex");
  const id = `b-${sha256.slice(0, 12)}`;
  const target = join(dir, id);
  if (existsSync(target)) rmSync(tmp, { recursive: true, force: true });
  else renameSync(tmp, target);
  return { id, build: { sha256, bundle: join(target, "index.js"), createdAt: new Date().toISOString(), gitCommit: gitCommit(root) } };
}

/** A registered build whose bundle is missing or changed on disk cannot be deployed. */
export function verifyBuild(id: string, build: Build): string | null {
  if (!existsSync(build.bundle)) return `the bundle of build '${id}' is missing (${build.bundle})`;
  const sha = createHash("sha256").update(readFileSync(build.bundle)).digest("hex");
  return sha === build.sha256 ? null : `the bundle of build '${id}' changed on disk (sha256 ${sha.slice(0, 12)}…, expected ${build.sha256.slice(0, 12)}…)`;
}
