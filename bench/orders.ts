// `npm run bench -- orders [--iterations 300] [--lines 5] [--backlog 1000] [--articles 20000] [--concurrency 16]`
// In one run: creating an order through Worker -> DO (idempotency key, outbox, alarm) -> tunnel ->
// connector -> simulator vs a direct simulator create (the floor); a replay of a stored key; and
// the drain rate of a queued backlog: the connector is offline while the orders are placed (each
// 202 queued), then it connects and orders/s are measured until the ERP has every one of them.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import { EnventaSession } from "../connector-host/simulator/session.ts";
import { benchAdmin, benchStack, benchTenant, startBenchConnector } from "./lib/live-stack.ts";
import { closedLoop, measure, printTable, type Summary } from "./lib/stats.ts";

const { values } = parseArgs({ options: { iterations: { type: "string", default: "300" }, lines: { type: "string", default: "5" }, backlog: { type: "string", default: "1000" }, articles: { type: "string", default: "20000" }, concurrency: { type: "string", default: "16" } } });
const ITER = Number(values.iterations);
const LINES = Number(values.lines);
const BACKLOG = Number(values.backlog);
const N = Number(values.articles);
const CONC = Number(values.concurrency);
const CUSTOMER = "K10001";
const address = { name: "Müller Haustechnik GmbH", street: "Industriestraße 12", postalCode: "70565", city: "Stuttgart", country: "DE" };

const env = await benchStack("orders");
try {
  const { stack } = env;
  const tenant = await benchTenant(stack, env.dir, "bench-orders", { rateLimit: { requestsPerMinute: 10_000_000 } }, N);
  const db = new pg.Client({ connectionString: env.pg.url });
  await db.connect();
  // The synced catalog the edge checks order lines against.
  await db.query(
    `INSERT INTO articles (tenant_id, article_id, rowversion, article_number, name) SELECT $1, (1000000 + i)::text, i, 'SW-' || i, 'Artikel ' || i FROM generate_series(1, $2::int) i`,
    [tenant.tenantId, N],
  );
  const token = await tenant.customerToken(CUSTOMER);
  let counter = 0;
  const lines = () => Array.from({ length: LINES }, () => ({ articleId: String(1_000_001 + (counter++ % N)), quantity: 1 + (counter % 9) }));
  const body = () => ({ lines: lines(), deliveryAddress: address, customerReference: `PO-${counter}` });
  const place = async (key: string, json: unknown, expect: number) => {
    const res = await fetch(`${stack.baseUrl}/v1/orders`, { method: "POST", headers: { authorization: `Bearer ${tenant.apiKey}`, "x-customer-token": token, "idempotency-key": key, "content-type": "application/json" }, body: JSON.stringify(json) });
    const out = (await res.json()) as { orderId?: string; status?: string };
    if (res.status !== expect) throw new Error(`POST /v1/orders: ${res.status} (expected ${expect}) ${JSON.stringify(out).slice(0, 200)}`);
    return out;
  };
  const erpOrders = (prefix: string) => Number((tenant.erp.sql.prepare("SELECT count(*) AS n FROM orders WHERE external_ref LIKE ? AND status = 'created'").get(`${prefix}%`) as { n: number }).n);

  // 1. One order: direct simulator session create vs through the edge (no ERP latency injected).
  const session = new EnventaSession(tenant.erp);
  await session.login({ businessUnit: "default" });
  const r: Record<string, Summary> = {};
  r.direct = await measure(ITER, 30, async () => {
    const out = await session.createOrder({ externalRef: `DIRECT-${randomUUID()}`, customerId: CUSTOMER, lines: lines(), deliveryAddress: address, customerReference: "PO" });
    if (out.order.status !== "created") throw new Error(`direct create: ${out.order.status}`);
  });
  r.httpFloor = await measure(ITER, 30, async () => void (await (await fetch(`${stack.baseUrl}/v1/health`)).text()));
  const keys: { key: string; json: unknown }[] = [];
  r.edge = await measure(ITER, 30, async () => {
    const entry = { key: randomUUID(), json: body() };
    keys.push(entry);
    await place(entry.key, entry.json, 201);
  });
  r.replay = await measure(ITER, 30, async (i) => {
    const { key, json } = keys[i % keys.length]!;
    await place(key, json, 201);
  });
  const onlineCreated = erpOrders("B2X-");

  // 2. Backlog: connector offline while BACKLOG orders are placed, then connect and drain.
  await tenant.connector.stop();
  while (((await benchAdmin(stack, `/tenants/${tenant.tenantId}/connectors`)).connectors as { connected: boolean }[]).some((c) => c.connected)) await new Promise((res) => setTimeout(res, 20));
  const enqueue = await closedLoop(BACKLOG, CONC, async () => {
    const out = await place(randomUUID(), body(), 202);
    if (out.status !== "queued") throw new Error(`backlog order not queued: ${out.status}`);
  });
  const queued = (await benchAdmin(stack, `/tenants/${tenant.tenantId}/connectors`)).ordersQueued as number;
  if (queued !== BACKLOG) throw new Error(`expected ${BACKLOG} queued orders, the outbox holds ${queued}`);

  const connectStarted = performance.now();
  const connector = await startBenchConnector(stack, tenant.tenantId, tenant.erpPath);
  const tunnelOpen = performance.now();
  let firstAt: number | undefined;
  while (erpOrders("B2X-") < onlineCreated + BACKLOG) {
    if (firstAt === undefined && erpOrders("B2X-") > onlineCreated) firstAt = performance.now();
    if (performance.now() - tunnelOpen > 600_000) throw new Error(`drain incomplete after 10 min: ${erpOrders("B2X-") - onlineCreated}/${BACKLOG}`);
    await new Promise((res) => setTimeout(res, 5));
  }
  const erpDone = performance.now();
  while (((await benchAdmin(stack, `/tenants/${tenant.tenantId}/connectors`)).ordersQueued as number) > 0) await new Promise((res) => setTimeout(res, 5));
  const edgeDone = performance.now();
  const drain = {
    orders: BACKLOG,
    connectorStartToTunnelOpenMs: tunnelOpen - connectStarted,
    tunnelOpenToFirstErpOrderMs: (firstAt ?? erpDone) - tunnelOpen,
    tunnelOpenToAllInErpSeconds: (erpDone - tunnelOpen) / 1000,
    tunnelOpenToOutboxEmptySeconds: (edgeDone - tunnelOpen) / 1000,
    ordersPerSecond: BACKLOG / ((edgeDone - tunnelOpen) / 1000),
  };
  // Exactly once: as many ERP orders with the gateway's references as orders the edge accepted.
  const refs = tenant.erp.sql.prepare("SELECT count(*) AS n, count(DISTINCT external_ref) AS d FROM orders WHERE external_ref LIKE 'B2X-%'").get() as { n: number; d: number };
  const accepted = ITER + 30 + BACKLOG;
  if (Number(refs.n) !== accepted || Number(refs.d) !== accepted) throw new Error(`exactly-once check failed: ${refs.n} ERP orders (${refs.d} distinct) for ${accepted} accepted`);

  printTable(`orders: create one order of ${LINES} lines (no ERP latency injected), sequential`, [
    { name: "direct simulator session create (floor)", s: r.direct! },
    { name: "wrangler dev HTTP floor: GET /v1/health", s: r.httpFloor!, floor: r.direct! },
    { name: "POST /v1/orders -> DO outbox -> ERP (201)", s: r.edge!, floor: r.direct! },
    { name: "POST /v1/orders replay of a stored key", s: r.replay!, floor: r.direct! },
  ]);
  console.log(`\nbacklog: ${BACKLOG} orders placed while the connector was offline (${CONC} concurrent): ${(BACKLOG / enqueue.seconds).toFixed(0)} orders/s accepted, 202 p50 ${enqueue.latency.p50.toFixed(1)} ms p95 ${enqueue.latency.p95.toFixed(1)} ms`);
  console.log(`drain after the connector connected: tunnel open ${drain.connectorStartToTunnelOpenMs.toFixed(0)} ms after start, first ERP order ${drain.tunnelOpenToFirstErpOrderMs.toFixed(0)} ms later,`);
  console.log(`  all ${BACKLOG} in the ERP after ${drain.tunnelOpenToAllInErpSeconds.toFixed(2)} s, outbox empty after ${drain.tunnelOpenToOutboxEmptySeconds.toFixed(2)} s: ${drain.ordersPerSecond.toFixed(0)} orders/s`);
  console.log(`exactly once: ${refs.n} ERP orders for ${accepted} accepted orders, all references distinct`);
  console.log(`edge/direct p50 ratio ${(r.edge!.p50 / r.direct!.p50).toFixed(1)}x; create overhead over the raw call p50 ${(r.edge!.p50 - r.direct!.p50).toFixed(2)} ms, p99 ${(r.edge!.p99 - r.direct!.p99).toFixed(2)} ms (ADR target for order creation: < 200 ms)`);
  console.log(
    JSON.stringify({
      bench: "orders", lines: LINES, iterations: ITER, results: r,
      ratio: { p50: r.edge!.p50 / r.direct!.p50, p95: r.edge!.p95 / r.direct!.p95, p99: r.edge!.p99 / r.direct!.p99 },
      backlog: { enqueue: { concurrency: CONC, ordersPerSecond: BACKLOG / enqueue.seconds, latency: enqueue.latency }, drain },
      exactlyOnce: { erpOrders: Number(refs.n), accepted },
    }),
  );
  await db.end();
  await connector.stop();
} finally {
  await env.stop();
}
