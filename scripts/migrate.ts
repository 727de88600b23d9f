// `npm run db:migrate -- [DATABASE_URL]`: applies schema/migrations to a Postgres.
import { migrateDatabase } from "./migrate-db.ts";

const url = process.argv[2] ?? process.env.DATABASE_URL;
if (!url) {
  console.error("usage: npm run db:migrate -- postgres://user:pass@host:port/db  (or set DATABASE_URL)");
  process.exit(2);
}
const started = performance.now();
await migrateDatabase(url);
console.log(`migrations applied in ${Math.round(performance.now() - started)} ms`);
