import { createServer, type Server } from "node:http";

/**
 * The local health endpoint for the service manager (Windows service / systemd): bound to
 * 127.0.0.1 only; the edge never connects to the connector.
 */
export async function startHealthServer(port: number, status: () => { healthy: boolean; [k: string]: unknown }): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    try {
      if (req.method !== "GET" || (req.url !== "/health" && req.url !== "/metrics")) {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not_found"}');
        return;
      }
      const s = status();
      res.writeHead(req.url === "/health" && !s.healthy ? 503 : 200, { "content-type": "application/json" }).end(JSON.stringify(s));
    } catch (err) {
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(err) }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const addr = server.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
