import type { IncomingMessage } from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import { type Frame, type FrameBodyInit, decodeFrame, encodeFrame, jsonBytes, parseJsonBytes } from "../../proto/tunnel.ts";

/**
 * The edge's side of the tunnel protocol, just enough to exercise the connector from tests:
 * it authenticates the bearer token, answers hello with welcome, sends calls and collects
 * results, chunks, heartbeats and errors. The real edge (TenantSession DO) has its own tests.
 */
export class TestEdge {
  readonly hellos: Frame[] = [];
  readonly heartbeats: Frame[] = [];
  readonly errors: Frame[] = [];
  readonly closes: { code: number; reason: string }[] = [];
  private sockets: WebSocket[] = [];
  private nextCallId = 1n;
  private epoch = 0n;
  private pending = new Map<bigint, { resolve: (f: Frame) => void; frames: Frame[]; onChunk?: (f: Frame) => void }>();
  private helloWaiters: (() => void)[] = [];
  /** Named in the welcome; > 0 promises an answer to every heartbeat, as the real edge does. */
  heartbeatIntervalMs = 0;
  /** Whether heartbeats are answered (false with an interval set: a silent, half-open edge). */
  answerHeartbeats = true;

  private constructor(private readonly wss: WebSocketServer, readonly url: string, public configVersion = 3) {}

  static async start(token: string): Promise<TestEdge> {
    const wss = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      verifyClient: (info: { req: IncomingMessage }) => info.req.headers.authorization === `Bearer ${token}` && info.req.url === "/v1/connector/connect",
    });
    await new Promise((r) => wss.once("listening", r));
    const addr = wss.address();
    const edge = new TestEdge(wss, `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`);
    wss.on("connection", (ws) => edge.accept(ws));
    return edge;
  }

  private accept(ws: WebSocket): void {
    this.sockets.push(ws);
    ws.on("close", (code, reason) => this.closes.push({ code, reason: reason.toString() }));
    ws.on("message", (data: Buffer) => {
      const frame = decodeFrame(new Uint8Array(data));
      const body = frame.body;
      if (body.case === "hello") {
        this.hellos.push(frame);
        this.epoch++;
        ws.send(encodeFrame(0n, { case: "welcome", value: { tenantId: "acme", epoch: this.epoch, configVersion: this.configVersion, configJson: jsonBytes({ cache: { pricesTtlSeconds: 60 } }), heartbeatIntervalMs: this.heartbeatIntervalMs } }));
        for (const w of this.helloWaiters.splice(0)) w();
        return;
      }
      if (body.case === "heartbeat") {
        this.heartbeats.push(frame);
        if (this.heartbeatIntervalMs > 0 && this.answerHeartbeats) ws.send(encodeFrame(0n, { case: "heartbeat", value: { sentAtMs: BigInt(Date.now()), metrics: {}, configVersion: this.configVersion } }));
        return;
      }
      const p = this.pending.get(frame.callId);
      if (!p) return void (body.case === "error" && this.errors.push(frame));
      p.frames.push(frame);
      if (body.case === "streamChunk") p.onChunk?.(frame);
      if (body.case === "result" || body.case === "error" || body.case === "streamEnd") {
        this.pending.delete(frame.callId);
        p.resolve(frame);
      }
    });
  }

  get open(): WebSocket | undefined {
    return this.sockets.filter((s) => s.readyState === s.OPEN).at(-1);
  }

  waitForHellos(n: number, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.hellos.length} hellos`)), timeoutMs);
      const check = () => {
        if (this.hellos.length >= n) {
          clearTimeout(timer);
          resolve();
        } else this.helloWaiters.push(check);
      };
      check();
    });
  }

  send(body: FrameBodyInit, callId = 0n): void {
    this.open!.send(encodeFrame(callId, body));
  }

  sendRaw(data: Uint8Array | string): void {
    this.open!.send(data);
  }

  /** Sends a call; resolves with the final frame (result, error or stream end) and all frames. */
  call(operation: string, payload: unknown, opts: { initialCredit?: number; deadlineMs?: number; onChunk?: (f: Frame) => void; callId?: bigint } = {}): { callId: bigint; done: Promise<{ last: Frame; frames: Frame[] }> } {
    const callId = opts.callId ?? this.nextCallId++;
    const done = new Promise<{ last: Frame; frames: Frame[] }>((resolve) => {
      const frames: Frame[] = [];
      this.pending.set(callId, { resolve: (last) => resolve({ last, frames }), frames, ...(opts.onChunk && { onChunk: opts.onChunk }) });
    });
    this.send({ case: "call", value: { operation, businessUnit: "01", payloadJson: jsonBytes(payload), deadlineMs: opts.deadlineMs ?? 0, requestId: `req-${callId}`, initialCredit: opts.initialCredit ?? 0 } }, callId);
    return { callId, done };
  }

  /** Fails every pending call, as the edge does when a connector socket closes. */
  dropAll(): void {
    for (const s of this.sockets) s.terminate();
    for (const [, p] of this.pending) p.resolve(undefined as never);
    this.pending.clear();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise((r) => this.wss.close(r));
  }
}

export const resultOf = (f: Frame): unknown => (f.body.case === "result" ? parseJsonBytes(f.body.value.payloadJson) : undefined);
export const errorOf = (f: Frame): { code: string; message: string } | undefined => (f.body.case === "error" ? { code: f.body.value.code, message: f.body.value.message } : undefined);
