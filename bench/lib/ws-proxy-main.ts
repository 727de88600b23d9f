// The ws->TCP proxy (Neon's part in production) in its own process, spawned by bench-edge.ts: the
// sync's whole write stream to Postgres passes through it, and in the bench process it would share
// the event loop with the live-price prober. Usage: ws-proxy-main.ts <port> <pg host> <pg port>.
import { startWsProxy } from "../../scripts/local/ws-proxy.ts";

const [port, host, pgPort] = process.argv.slice(2);
if (!port || !host || !pgPort) {
  console.error("usage: ws-proxy-main.ts <port> <postgres host> <postgres port>");
  process.exit(2);
}
const proxy = await startWsProxy({ port: Number(port), target: { host, port: Number(pgPort) } });
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void proxy.stop().then(() => process.exit(0)));
