// `npm run bench -- <name> [options]`: runs bench/<name>.ts, which prints a table and a JSON line.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const [name, ...rest] = process.argv.slice(2);
const dir = import.meta.dirname;
const available = readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "run.ts").map((f) => f.slice(0, -3));
if (!name || !existsSync(join(dir, `${name}.ts`))) {
  console.error(`usage: npm run bench -- <${available.join("|")}> [options]`);
  process.exit(2);
}
process.argv = [process.argv[0]!, join(dir, `${name}.ts`), ...rest];
await import(join(dir, `${name}.ts`));
