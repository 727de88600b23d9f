import { parseArgs } from "node:util";
import { isBuildId } from "./builds.ts";
import { RolloutError } from "./errors.ts";
import { type Ring, parseRing } from "./rings.ts";
import { DEFAULT_DRY_RUN_STATE_PATH, DEFAULT_STATE_PATH } from "./state.ts";

export type Change =
  | { kind: "deploy"; ring: Ring; build: string | null; percentage: number }
  | { kind: "promote"; from: Ring; to: Ring; percentage: number }
  | { kind: "rollback"; ring: Ring };

export type Command =
  | (Change & { dryRun: boolean; plan: false })
  | (Change & { dryRun: true; plan: true })
  | { kind: "move-tenant"; tenantId: string; to: Ring; url: string; adminToken: string; dryRun: boolean }
  | { kind: "status"; url: string | null; adminToken: string | null };

export interface Parsed {
  command: Command;
  statePath: string;
}

export const USAGE = `usage: npm run rollout -- <command> [options]
  plan deploy|promote|rollback …      print what the change would do (runs nothing, records nothing)
  deploy --ring R [--build ID] [--percentage N]
                                      build once (or take build ID) and deploy it to ring R
                                      (N < 100: a percentage canary beside the ring's live version)
  promote --from R --to R [--percentage N]
                                      the same build that is live in R to the next ring (canary → early → stable)
  rollback --ring R                   ring R back to its previous version, in one command
  move-tenant ID --to R --url URL     drain → export → import → switch → reconnect, via the admin API
  status [--url URL]                  tenant → ring → version
options: --dry-run (check and record, touch nothing at Cloudflare), --state PATH,
         --admin-token T (or B2X_ADMIN_TOKEN), --url URL (or B2X_URL: the router)`;

const options = {
  ring: { type: "string" }, build: { type: "string" }, percentage: { type: "string" }, from: { type: "string" }, to: { type: "string" },
  url: { type: "string" }, "admin-token": { type: "string" }, state: { type: "string" }, "dry-run": { type: "boolean" }, help: { type: "boolean" },
} as const;

function percentageOf(raw: string | undefined): number {
  if (raw === undefined) return 100;
  const n = Number(raw.replace(/%$/, ""));
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new RolloutError(`--percentage must be a whole number from 1 to 100, got '${raw}'`);
  return n;
}

function change(kind: string | undefined, v: Record<string, string | boolean | undefined>): Change {
  const s = (k: string) => v[k] as string | undefined;
  switch (kind) {
    case "deploy": {
      const build = s("build") ?? null;
      if (build !== null && !isBuildId(build)) throw new RolloutError(`--build must look like b-<12 hex digits>, got '${build}'`);
      return { kind, ring: parseRing(s("ring"), "--ring"), build, percentage: percentageOf(s("percentage")) };
    }
    case "promote":
      return { kind, from: parseRing(s("from"), "--from"), to: parseRing(s("to"), "--to"), percentage: percentageOf(s("percentage")) };
    case "rollback":
      return { kind, ring: parseRing(s("ring"), "--ring") };
    default:
      throw new RolloutError(`unknown command '${kind ?? ""}'\n${USAGE}`);
  }
}

export function parseCommandLine(argv: string[], env: Record<string, string | undefined> = process.env): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new RolloutError(`${(err as Error).message}\n${USAGE}`);
  }
  const { values: v, positionals: [name, ...rest] } = parsed;
  if (v.help || !name) throw new RolloutError(USAGE);
  const dryRun = v["dry-run"] === true;
  const statePath = v.state ?? (dryRun || name === "plan" ? DEFAULT_DRY_RUN_STATE_PATH : DEFAULT_STATE_PATH);
  const url = v.url ?? env.B2X_URL ?? null;
  const adminToken = v["admin-token"] ?? env.B2X_ADMIN_TOKEN ?? null;
  const extra = (allowed: number) => {
    if (rest.length > allowed) throw new RolloutError(`unexpected argument '${rest[allowed]}'`);
  };
  switch (name) {
    case "plan":
      extra(1);
      return { command: { ...change(rest[0], v), dryRun: true, plan: true }, statePath: v.state ?? DEFAULT_STATE_PATH };
    case "deploy":
    case "promote":
    case "rollback":
      extra(0);
      return { command: { ...change(name, v), dryRun, plan: false }, statePath };
    case "move-tenant": {
      extra(1);
      const tenantId = rest[0];
      if (!tenantId || !/^[a-z0-9][a-z0-9-]{1,62}$/.test(tenantId)) throw new RolloutError(`move-tenant needs a tenant id (lowercase letters, digits, '-'), got '${tenantId ?? ""}'`);
      if (!url) throw new RolloutError("move-tenant needs --url (the router's URL) or B2X_URL");
      if (!adminToken) throw new RolloutError("move-tenant needs --admin-token or B2X_ADMIN_TOKEN");
      return { command: { kind: "move-tenant", tenantId, to: parseRing(v.to, "--to"), url, adminToken, dryRun }, statePath };
    }
    case "status":
      extra(0);
      return { command: { kind: "status", url, adminToken }, statePath: v.state ?? DEFAULT_STATE_PATH };
    default:
      throw new RolloutError(`unknown command '${name}'\n${USAGE}`);
  }
}
