// `npm run rollout -- plan|deploy|promote|rollback|move-tenant|status` (see args.ts for the options).
import { resolve } from "node:path";
import { RolloutError } from "./errors.ts";
import { runRollout } from "./run.ts";
import { localWrangler } from "./wrangler.ts";

const root = resolve(import.meta.dirname, "../..");
runRollout(process.argv.slice(2), { root, wrangler: localWrangler(root), out: (line) => console.log(line) }).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof RolloutError ? `rollout: ${err.message}` : err);
    process.exit(err instanceof RolloutError ? 2 : 1);
  },
);
