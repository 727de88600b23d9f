import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { RolloutError } from "./errors.ts";
import { RING_ORDER, type Ring } from "./rings.ts";

export const DEFAULT_STATE_PATH = ".data/rollout/state.json";
/** Dry runs keep their own record, so rehearsing never changes what the real state says. */
export const DEFAULT_DRY_RUN_STATE_PATH = ".data/rollout/dry-run-state.json";

const deployment = z.object({
  versionId: z.string().min(1),
  buildId: z.string().min(1),
  /** Traffic share of this version in its ring; the rest goes to `alongside`. */
  percentage: z.number().int().min(1).max(100),
  alongside: z.string().nullable(),
  deployedAt: z.string(),
  how: z.enum(["deploy", "promote", "rollback"]),
});
export type Deployment = z.output<typeof deployment>;

const ringState = z.object({
  /** What is live, top last: rollback pops the top. */
  stack: z.array(deployment),
  /** Every version uploaded to this ring's script, by build: a build is uploaded once per ring. */
  versions: z.record(z.string(), z.string()),
  /** Append-only record of every deployment (rollbacks included). */
  history: z.array(deployment),
});
export type RingState = z.output<typeof ringState>;

const build = z.object({ sha256: z.string(), bundle: z.string(), createdAt: z.string(), gitCommit: z.string().nullable() });
export type Build = z.output<typeof build>;

const logEntry = z.object({
  at: z.string(),
  command: z.string(),
  dryRun: z.boolean(),
  commands: z.array(z.string()),
  map: z.record(z.string(), z.unknown()),
});
export type LogEntry = z.output<typeof logEntry>;

export const stateSchema = z.object({
  version: z.literal(1),
  builds: z.record(z.string(), build),
  rings: z.object(Object.fromEntries(RING_ORDER.map((r) => [r, ringState])) as Record<Ring, typeof ringState>),
  log: z.array(logEntry),
});
export type RolloutState = z.output<typeof stateSchema>;

export function emptyState(): RolloutState {
  const ring = (): RingState => ({ stack: [], versions: {}, history: [] });
  return { version: 1, builds: {}, rings: { canary: ring(), early: ring(), stable: ring() }, log: [] };
}

export function loadState(path: string): RolloutState {
  if (!existsSync(path)) return emptyState();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new RolloutError(`state file ${path} is not valid JSON (${String(err)}); fix or move it away`);
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) throw new RolloutError(`state file ${path} does not match the expected shape: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/** Written to a temporary file and renamed: a crash never leaves half a state file. */
export function saveState(path: string, state: RolloutState): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n");
  renameSync(tmp, path);
}

export const currentOf = (state: RolloutState, ring: Ring): Deployment | undefined => state.rings[ring].stack.at(-1);
