// `npm run sim -- <command> [options]`: the enventa simulator's command line.
//   generate --db erp.db [--seed 42] [--articles 5000] [--customers 1000] [--login-ms 2500] [--fixture f.ndjson]
//   mutate   --db erp.db [--change N] [--add M] [--delete K] [--prices P] [--stock S] [--advance-orders O] [--seed 1]
//   faults   --db erp.db [--per-call-ms X] [--per-row-us X] [--error-rate P] [--stall-rate P] [--stall-ms X] [--drop-rate P]
//   stats    --db erp.db          counts of the catalog, changes and orders
//   serve    --db erp.db [--port 8791]   local HTTP control API (127.0.0.1): GET /stats, POST /mutate, POST /faults
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { faultConfigSchema } from "./config.ts";
import { loadFixture } from "./fixture.ts";
import { mutate } from "./mutate.ts";
import { OrderBook } from "./orders.ts";
import { ErpDatabase } from "./store.ts";

const [command, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    db: { type: "string", default: ".data/sim/erp.db" },
    seed: { type: "string" }, articles: { type: "string" }, customers: { type: "string" }, "login-ms": { type: "string" }, fixture: { type: "string" },
    change: { type: "string" }, add: { type: "string" }, delete: { type: "string" }, prices: { type: "string" }, stock: { type: "string" }, "advance-orders": { type: "string" },
    "per-call-ms": { type: "string" }, "per-row-us": { type: "string" }, "error-rate": { type: "string" }, "stall-rate": { type: "string" }, "stall-ms": { type: "string" }, "drop-rate": { type: "string" },
    port: { type: "string", default: "8791" },
  },
  strict: true,
});

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function stats(erp: ErpDatabase) {
  return { config: erp.config, articles: erp.liveArticleCount(), faults: erp.faults(), orders: new OrderBook(erp).count(), nextIndex: erp.nextIndex };
}

try {
  switch (command) {
    case "generate": {
      const fixture = values.fixture ? loadFixture(values.fixture) : [];
      const erp = ErpDatabase.create(values.db!, defined({ seed: num(values.seed), articles: num(values.articles), customers: num(values.customers), loginMs: num(values["login-ms"]) }), fixture);
      console.log(JSON.stringify({ created: values.db, config: erp.config, fixtureArticles: fixture.length }));
      erp.close();
      break;
    }
    case "mutate": {
      const erp = ErpDatabase.open(values.db!);
      const r = mutate(erp, defined({ change: num(values.change), add: num(values.add), delete: num(values.delete), prices: num(values.prices), stock: num(values.stock), advanceOrders: num(values["advance-orders"]), seed: num(values.seed) }));
      console.log(JSON.stringify({ changed: r.changed.length, added: r.added.length, deleted: r.deleted.length, prices: r.prices.length, stock: r.stock.length, advancedOrders: r.advancedOrders.length, ids: r }));
      erp.close();
      break;
    }
    case "faults": {
      const erp = ErpDatabase.open(values.db!);
      const patch = faultConfigSchema.partial().parse(defined({ perCallMs: num(values["per-call-ms"]), perRowUs: num(values["per-row-us"]), errorRate: num(values["error-rate"]), stallRate: num(values["stall-rate"]), stallMs: num(values["stall-ms"]), dropRate: num(values["drop-rate"]) }));
      console.log(JSON.stringify(erp.setFaults(patch)));
      erp.close();
      break;
    }
    case "stats": {
      const erp = ErpDatabase.open(values.db!);
      console.log(JSON.stringify(stats(erp), null, 2));
      erp.close();
      break;
    }
    case "serve": {
      const erp = ErpDatabase.open(values.db!);
      const server = createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => {
          body += c.toString();
          if (body.length > 65_536) req.destroy();
        });
        req.on("end", () => {
          try {
            const input = body ? JSON.parse(body) : {};
            const out = req.method === "GET" && req.url === "/stats" ? stats(erp) : req.method === "POST" && req.url === "/mutate" ? mutate(erp, input) : req.method === "POST" && req.url === "/faults" ? erp.setFaults(faultConfigSchema.partial().parse(input)) : undefined;
            if (out === undefined) res.writeHead(404).end('{"error":"not_found"}');
            else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
          } catch (err) {
            res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: String((err as Error).message) }));
          }
        });
      });
      server.listen(Number(values.port), "127.0.0.1", () => console.log(`enventa simulator control API on http://127.0.0.1:${values.port} (db ${values.db})`));
      break;
    }
    default:
      console.error("usage: npm run sim -- <generate|mutate|faults|stats|serve> --db erp.db [options]  (see connector-host/simulator/cli.ts)");
      process.exit(2);
  }
} catch (err) {
  console.error(`sim ${command}: ${(err as Error).message}`);
  process.exit(1);
}
