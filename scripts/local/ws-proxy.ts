import { createRequire } from "node:module";
import { type Socket, connect } from "node:net";
import type { WebSocket } from "ws";

// Loaded through Node's resolver: vitest's workerd project resolves bare imports with
// worker/browser conditions, which give ws's browser stub in global setup.
const { WebSocketServer } = createRequire(import.meta.url)("ws") as typeof import("ws");

export interface WsProxy {
  /** host:port to put into the Neon driver's `wsProxy` setting. */
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** Postgres frontend Terminate message: 'X' then int32 length 4. */
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);

/**
 * The WebSocket -> TCP bridge that Neon runs in production, for local use: the Neon
 * serverless driver speaks the Postgres wire protocol over a WebSocket
 * (`ws://proxy/v1?address=host:port`), and this forwards the bytes to a real Postgres.
 * Only the configured database address may be dialled, so it is not an open relay.
 */
export async function startWsProxy(opts: { port: number; target: { host: string; port: number } }): Promise<WsProxy> {
  const allowed = new Set([`${opts.target.host}:${opts.target.port}`, `localhost:${opts.target.port}`]);
  const wss = new WebSocketServer({ host: "127.0.0.1", port: opts.port, perMessageDeflate: false });
  wss.on("connection", (ws, req) => {
    const address = new URL(req.url ?? "/", "http://proxy").searchParams.get("address") ?? "";
    if (!allowed.has(address)) {
      ws.close(1008, "address not allowed");
      return;
    }
    bridge(ws, connect({ host: opts.target.host, port: opts.target.port }));
  });
  await new Promise<void>((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  });
  return {
    address: `127.0.0.1:${opts.port}`,
    port: opts.port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

function bridge(ws: WebSocket, tcp: Socket): void {
  tcp.setNoDelay(true);
  const pending: Buffer[] = [];
  let connected = false;
  tcp.on("connect", () => {
    connected = true;
    for (const chunk of pending.splice(0)) tcp.write(chunk);
  });
  ws.on("message", (data: Buffer) => {
    if (connected) tcp.write(data);
    else pending.push(data);
    // Postgres keeps the TCP side open after Terminate until the client closes it; the
    // driver waits for that close, so end the socket ourselves or clients never exit.
    if (data.length >= 5 && data.subarray(data.length - 5).equals(TERMINATE)) tcp.end();
  });
  tcp.on("data", (chunk) => {
    if (ws.readyState === ws.OPEN) ws.send(chunk);
  });
  const closeBoth = () => {
    tcp.destroy();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
  };
  tcp.on("close", closeBoth);
  tcp.on("error", closeBoth);
  ws.on("close", closeBoth);
  ws.on("error", closeBoth);
}
