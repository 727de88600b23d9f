import { randomBytes } from "node:crypto";
import { type AddressInfo, type Server, type Socket, connect, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FaultProxy } from "./fault-proxy.ts";

/** An echo server: everything a client sends comes back. */
async function echoServer(): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as AddressInfo).port, server, sockets };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(seed?: number) {
  const echo = await echoServer();
  const proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: echo.port }, ...(seed !== undefined && { seed }) });
  cleanups.push(() => new Promise<void>((r) => echo.server.close(() => r())), () => proxy.stop(), () => {
    for (const s of echo.sockets) s.destroy();
  });
  return { echo, proxy };
}

interface Client {
  socket: Socket;
  received: () => Buffer;
  closed: Promise<{ error: string | undefined }>;
  waitFor(bytes: number, timeoutMs?: number): Promise<Buffer>;
}

async function client(port: number, awaitConnect = true): Promise<Client> {
  const socket = connect({ host: "127.0.0.1", port });
  const chunks: Buffer[] = [];
  let error: string | undefined;
  socket.on("data", (d: Buffer) => chunks.push(d));
  socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  const closed = new Promise<{ error: string | undefined }>((r) => socket.on("close", () => r({ error })));
  cleanups.push(() => {
    socket.destroy();
  });
  if (awaitConnect) {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
  }
  const received = () => Buffer.concat(chunks);
  return {
    socket, received, closed,
    async waitFor(bytes, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      while (received().length < bytes) {
        if (Date.now() > end) throw new Error(`got ${received().length} of ${bytes} bytes`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return received();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("fault proxy", () => {
  it("forwards bytes unchanged in both directions when no fault is set", async () => {
    const { proxy } = await setup();
    const c = await client(proxy.port);
    const payload = randomBytes(300_000);
    c.socket.write(payload);
    expect((await c.waitFor(payload.length)).equals(payload)).toBe(true);
    expect(proxy.stats).toMatchObject({ accepted: 1, bytesUp: payload.length, bytesDown: payload.length });
  });

  it("adds latency each way (a round trip takes at least twice the latency)", async () => {
    const { proxy } = await setup();
    proxy.shape({ latencyMs: 150 });
    const c = await client(proxy.port);
    const started = performance.now();
    c.socket.write("ping");
    await c.waitFor(4);
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
  });

  it("draws jitter from its seed: the same seed gives the same delays, another seed others", async () => {
    const draws = async (seed: number) => {
      const { proxy } = await setup(seed);
      proxy.shape({ latencyMs: 10, jitterMs: 50 });
      return Array.from({ length: 8 }, () => proxy.delay());
    };
    const a = await draws(7);
    expect(await draws(7)).toEqual(a);
    expect(await draws(8)).not.toEqual(a);
    for (const d of a) expect(d).toBeGreaterThanOrEqual(10), expect(d).toBeLessThan(60);
  });

  it("keeps order under jitter", async () => {
    const { proxy } = await setup(3);
    proxy.shape({ jitterMs: 40 });
    const c = await client(proxy.port);
    const parts = Array.from({ length: 30 }, (_, i) => Buffer.from(`<${i}>`));
    for (const p of parts) {
      c.socket.write(p);
      await sleep(2);
    }
    const all = Buffer.concat(parts);
    expect((await c.waitFor(all.length)).equals(all)).toBe(true);
  });

  it("limits bandwidth: 64 KiB at 64 KiB/s each way takes at least a second", async () => {
    const { proxy } = await setup();
    proxy.shape({ bytesPerSecond: 64 * 1024 });
    const c = await client(proxy.port);
    const payload = randomBytes(64 * 1024);
    const started = performance.now();
    c.socket.write(payload);
    expect((await c.waitFor(payload.length)).equals(payload)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("resets every connection on command: clients see ECONNRESET", async () => {
    const { proxy, echo } = await setup();
    const a = await client(proxy.port);
    const b = await client(proxy.port);
    a.socket.write("x");
    await a.waitFor(1);
    expect(proxy.resetAll()).toBe(2);
    expect((await a.closed).error).toBe("ECONNRESET");
    expect((await b.closed).error).toBe("ECONNRESET");
    await sleep(50);
    expect(echo.sockets.size).toBe(0);
    expect(proxy.stats.reset).toBe(2);
  });

  it("resets after a chosen number of bytes", async () => {
    const { proxy } = await setup();
    const c = await client(proxy.port);
    const fired = proxy.resetAfterBytes(10_000, "down");
    c.socket.write(randomBytes(4_000));
    await c.waitFor(4_000);
    expect(proxy.connections).toBe(1);
    c.socket.write(randomBytes(50_000));
    await fired;
    expect((await c.closed).error).toBe("ECONNRESET");
    expect(c.received().length).toBeLessThan(54_000);
    expect(c.received().length).toBeGreaterThanOrEqual(4_000);
  });

  it("goes half-open: nothing forwarded either way, no FIN or RST to either side; new connections work", async () => {
    const { proxy, echo } = await setup();
    const c = await client(proxy.port);
    c.socket.write("before");
    await c.waitFor(6);
    expect(proxy.halfOpen()).toBe(1);
    let ended = false;
    c.socket.on("end", () => (ended = true));
    c.socket.write("after");
    await sleep(300);
    expect(c.received().toString()).toBe("before");
    expect(ended).toBe(false);
    expect(c.socket.destroyed).toBe(false);
    expect(echo.sockets.size).toBe(1);
    // The client gives up: its close is not passed on, the server side stays open.
    c.socket.destroy();
    await sleep(100);
    expect(echo.sockets.size).toBe(1);
    const fresh = await client(proxy.port);
    fresh.socket.write("new");
    expect((await fresh.waitFor(3)).toString()).toBe("new");
  });

  it("stalls and resumes without losing or reordering a byte", async () => {
    const { proxy } = await setup();
    const c = await client(proxy.port);
    proxy.stall();
    c.socket.write("one,");
    c.socket.write("two,");
    await sleep(200);
    expect(c.received().length).toBe(0);
    c.socket.write("three");
    proxy.resume();
    expect((await c.waitFor(13)).toString()).toBe("one,two,three");
  });

  it("stalls for a given time", async () => {
    const { proxy } = await setup();
    const c = await client(proxy.port);
    proxy.stall(200);
    const started = performance.now();
    c.socket.write("late");
    await c.waitFor(4);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("refuses new connections while told to, and accepts again after", async () => {
    const { proxy } = await setup();
    const open = await client(proxy.port);
    proxy.refuse();
    const refused = await client(proxy.port, false);
    expect((await refused.closed).error).toBe("ECONNRESET");
    expect(proxy.stats.refused).toBe(1);
    // Connections that were open stay so.
    open.socket.write("still");
    expect((await open.waitFor(5)).toString()).toBe("still");
    proxy.refuse(false);
    const again = await client(proxy.port);
    again.socket.write("ok");
    expect((await again.waitFor(2)).toString()).toBe("ok");
  });

  it("passes a FIN on after the data before it, and a refused target as a reset", async () => {
    const { proxy, echo } = await setup();
    proxy.shape({ latencyMs: 50 });
    const c = await client(proxy.port);
    c.socket.end("bye");
    expect((await c.waitFor(3)).toString()).toBe("bye");
    expect((await c.closed).error).toBeUndefined();
    await new Promise<void>((r) => echo.server.close(() => r()));
    const dead = await client(proxy.port, false);
    expect((await dead.closed).error).toBe("ECONNRESET");
  });
});
