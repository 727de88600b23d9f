import { type AddressInfo, type Server, type Socket, connect, createServer } from "node:net";
import { seededRandom } from "../../connector-host/simulator/prng.ts";

/**
 * A TCP proxy that misbehaves on purpose, for fault tests: put it between the connector and the
 * edge (the connector's edge URL points at it) or between the Neon driver's ws->TCP proxy and
 * Postgres (the stack's database URL points at it). It forwards bytes unchanged and can add
 * latency, seeded jitter and a bandwidth limit, reset connections (RST) at once, after N bytes
 * or on command, go half-open (stop forwarding both ways, sending neither FIN nor RST), stall
 * and resume, and refuse new connections.
 */
export interface FaultProxyOptions {
  target: { host: string; port: number };
  /** Listening port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Seed of the jitter sequence: the same seed gives the same delays. */
  seed?: number;
}

export interface ShapingSettings {
  /** Added to every chunk in each direction. */
  latencyMs: number;
  /** Uniform extra delay in [0, jitterMs), drawn from the seeded sequence. */
  jitterMs: number;
  /** Per connection and direction; 0 = unlimited. */
  bytesPerSecond: number;
}

export interface FaultProxyStats {
  accepted: number;
  refused: number;
  reset: number;
  halfOpened: number;
  bytesUp: number;
  bytesDown: number;
}

type Direction = "up" | "down";

/** Chunks are cut to this size so a bandwidth limit paces evenly. */
const SLICE_BYTES = 16 * 1024;
/** A direction with this much queued stops reading its source (back-pressure, bounded memory). */
const HIGH_WATER_BYTES = 1024 * 1024;

/** One direction of one connection: a queue of slices released at their due times. */
class Pipe {
  private readonly queue: { at: number; data: Buffer }[] = [];
  private queuedBytes = 0;
  private lastDue = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    readonly direction: Direction,
    private readonly proxy: FaultProxy,
    private readonly flow: { blackholed: boolean },
  ) {}

  push(chunk: Buffer): void {
    for (let off = 0; off < chunk.length; off += SLICE_BYTES) {
      const data = chunk.subarray(off, off + SLICE_BYTES);
      const due = Math.max(Date.now() + this.proxy.delay(), this.lastDue) + this.proxy.transmitMs(data.length);
      this.lastDue = due;
      this.queue.push({ at: due, data });
      this.queuedBytes += data.length;
    }
    if (this.queuedBytes > HIGH_WATER_BYTES) this.from.pause();
    this.flush();
  }

  /** Writes every slice that is due, then sleeps until the next one (unless stalled). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.proxy.stalled || this.proxy.resetting || this.to.destroyed) return;
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      const { data } = this.queue.shift()!;
      this.queuedBytes -= data.length;
      this.to.write(data);
      // A reset-after-bytes that fired stops this flow here, as a real reset would.
      if (this.proxy.forwarded(this.direction, data.length) || this.to.destroyed) return;
    }
    if (this.queuedBytes <= HIGH_WATER_BYTES / 2 && this.from.isPaused() && !this.flow.blackholed) this.from.resume();
    if (this.queue.length > 0) this.timer = setTimeout(() => this.flush(), this.queue[0]!.at - now);
  }

  /** After a stall: what fell due meanwhile goes now, in order; later slices keep their time. */
  rebase(now: number): void {
    for (const q of this.queue) q.at = Math.max(q.at, now);
    this.lastDue = Math.max(this.lastDue, now);
  }

  get empty(): boolean {
    return this.queue.length === 0;
  }

  drop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
    this.queuedBytes = 0;
  }
}

interface Conn {
  client: Socket;
  server: Socket;
  up: Pipe;
  down: Pipe;
  /** Half-open (blackholed): nothing is forwarded any more and no close is passed on. */
  flow: { blackholed: boolean };
}

export class FaultProxy {
  readonly stats: FaultProxyStats = { accepted: 0, refused: 0, reset: 0, halfOpened: 0, bytesUp: 0, bytesDown: 0 };
  private readonly conns = new Set<Conn>();
  private shaping: ShapingSettings = { latencyMs: 0, jitterMs: 0, bytesPerSecond: 0 };
  private refusing = false;
  private stallStarted: number | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly random: () => number;
  private resetTrigger: { remaining: number; direction: Direction | "both"; fired: () => void } | undefined;

  private constructor(
    private readonly server: Server,
    private readonly opts: FaultProxyOptions,
  ) {
    this.random = seededRandom(opts.seed ?? 1);
  }

  static async start(opts: FaultProxyOptions): Promise<FaultProxy> {
    // Half-open TCP allowed: each FIN is passed on by hand, after the data queued before it.
    const server = createServer({ noDelay: true, allowHalfOpen: true });
    const proxy = new FaultProxy(server, opts);
    server.on("connection", (socket) => proxy.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** host:port of the proxy. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Connections currently open through the proxy (half-open ones included). */
  get connections(): number {
    return this.conns.size;
  }

  get stalled(): boolean {
    return this.stallStarted !== undefined;
  }

  // ---- controls ------------------------------------------------------------------------

  /** Latency, jitter and bandwidth for what is forwarded from now on. */
  shape(settings: Partial<ShapingSettings>): void {
    this.shaping = { ...this.shaping, ...settings };
  }

  /** New connections are accepted and reset at once (as a host with no listener answers). */
  refuse(on = true): void {
    this.refusing = on;
  }

  /** RSTs every open connection on both sides; returns how many. */
  resetAll(): number {
    const n = this.conns.size;
    for (const c of [...this.conns]) this.reset(c);
    return n;
  }

  /**
   * Resets every open connection once `bytes` more bytes have been forwarded (in the given
   * direction, over all connections). Resolves when it fired.
   */
  resetAfterBytes(bytes: number, direction: Direction | "both" = "both"): Promise<void> {
    return new Promise((resolve) => {
      this.resetTrigger = { remaining: bytes, direction, fired: resolve };
    });
  }

  /**
   * Half-open: the current connections stop forwarding in both directions and pass on no FIN
   * or RST; both sockets stay open, as when a NAT or firewall silently forgets a flow. New
   * connections are forwarded normally. Returns how many went half-open.
   */
  halfOpen(): number {
    let n = 0;
    for (const c of this.conns) {
      if (c.flow.blackholed) continue;
      c.flow.blackholed = true;
      c.up.drop();
      c.down.drop();
      c.client.pause();
      c.server.pause();
      n++;
    }
    this.stats.halfOpened += n;
    return n;
  }

  /** Holds every byte (nothing lost) until `resume()`, or for `ms` if given. */
  stall(ms?: number): void {
    if (this.stallStarted === undefined) this.stallStarted = Date.now();
    clearTimeout(this.stallTimer);
    if (ms !== undefined) this.stallTimer = setTimeout(() => this.resume(), ms);
  }

  resume(): void {
    if (this.stallStarted === undefined) return;
    this.stallStarted = undefined;
    clearTimeout(this.stallTimer);
    const now = Date.now();
    for (const c of this.conns) {
      c.up.rebase(now);
      c.down.rebase(now);
      c.up.flush();
      c.down.flush();
    }
  }

  /** Back to a well-behaved proxy: no shaping, no stall, accepting (half-open ones stay so). */
  heal(): void {
    this.shaping = { latencyMs: 0, jitterMs: 0, bytesPerSecond: 0 };
    this.refusing = false;
    this.resetTrigger = undefined;
    this.resume();
  }

  async stop(): Promise<void> {
    for (const c of [...this.conns]) this.destroy(c);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- internals -----------------------------------------------------------------------

  /** @internal Delay of the next slice: latency plus a seeded jitter draw. */
  delay(): number {
    const { latencyMs, jitterMs } = this.shaping;
    return latencyMs + (jitterMs > 0 ? this.random() * jitterMs : 0);
  }

  /** @internal Time a slice takes on the wire at the bandwidth limit. */
  transmitMs(bytes: number): number {
    return this.shaping.bytesPerSecond > 0 ? (bytes * 1000) / this.shaping.bytesPerSecond : 0;
  }

  /** @internal True between a reset-after-bytes firing and the reset itself: nothing more goes. */
  resetting = false;

  /** @internal Counts forwarded bytes; true when that fired a pending reset-after-bytes. */
  forwarded(direction: Direction, bytes: number): boolean {
    if (direction === "up") this.stats.bytesUp += bytes;
    else this.stats.bytesDown += bytes;
    const t = this.resetTrigger;
    if (!t || (t.direction !== "both" && t.direction !== direction)) return false;
    t.remaining -= bytes;
    if (t.remaining > 0) return false;
    this.resetTrigger = undefined;
    this.resetting = true;
    // Not from inside a write: the socket being written to is about to be destroyed.
    setImmediate(() => {
      this.resetAll();
      this.resetting = false;
      t.fired();
    });
    return true;
  }

  private accept(client: Socket): void {
    if (this.refusing) {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    this.stats.accepted++;
    client.setNoDelay(true);
    const server = connect({ host: this.opts.target.host, port: this.opts.target.port, noDelay: true, allowHalfOpen: true });
    const flow = { blackholed: false };
    const conn: Conn = { client, server, flow, up: new Pipe(client, server, "up", this, flow), down: new Pipe(server, client, "down", this, flow) };
    this.conns.add(conn);
    client.on("data", (d: Buffer) => !flow.blackholed && conn.up.push(d));
    server.on("data", (d: Buffer) => !flow.blackholed && conn.down.push(d));
    // A FIN goes on once everything before it was delivered; never from a half-open flow.
    const passEnd = (pipe: Pipe, to: Socket) => {
      const done = () => {
        if (flow.blackholed || to.destroyed) return;
        if (pipe.empty) to.end();
        else setTimeout(done, 5);
      };
      done();
    };
    client.on("end", () => passEnd(conn.up, server));
    server.on("end", () => passEnd(conn.down, client));
    // A side that dies takes the other with it (RST for RST, FIN for FIN), unless half-open.
    const onGone = (pipe: Pipe, other: Socket, hadError: boolean) => {
      if (!flow.blackholed && !other.destroyed) {
        if (hadError) other.resetAndDestroy();
        else passEnd(pipe, other);
      }
      if (client.destroyed && server.destroyed) this.forget(conn);
    };
    client.on("close", (hadError) => onGone(conn.up, server, hadError));
    server.on("close", (hadError) => onGone(conn.down, client, hadError));
    client.on("error", () => {});
    server.on("error", () => {});
  }

  private reset(c: Conn): void {
    this.stats.reset++;
    this.forget(c);
    if (!c.client.destroyed) c.client.resetAndDestroy();
    if (!c.server.destroyed) c.server.resetAndDestroy();
  }

  private destroy(c: Conn): void {
    this.forget(c);
    c.client.destroy();
    c.server.destroy();
  }

  private forget(c: Conn): void {
    c.up.drop();
    c.down.drop();
    this.conns.delete(c);
  }
}
