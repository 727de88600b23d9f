import { WebSocket } from "ws";
import { type Frame, type FrameBody, type FrameBodyInit, MAX_FRAME_BYTES, PROTOCOL_VERSION, Priority, decodeFrame, encodeFrame, jsonBytes, parseJsonBytes } from "../../proto/tunnel.ts";
import type { Provider, TenantContext } from "../providers/contracts.ts";
import { type ConnectorConfig, isAllowed } from "./config.ts";
import { CreditGate } from "./credit.ts";
import { type IngestRunner, inlineIngest } from "./ingest-stream.ts";
import { partsOf } from "./json-rows.ts";
import { CancelledError, ConnectorError, ForbiddenOperationError, errorFields } from "./errors.ts";
import type { Logger } from "./log.ts";
import { traceFields } from "./trace.ts";
import { OPERATION_NAMES, type OperationName, operation } from "./operations.ts";

type Call = Extract<FrameBody, { case: "call" }>["value"];

interface InFlight {
  controller: AbortController;
  credit?: CreditGate;
  socket: WebSocket;
  operation: string;
}

export interface EdgeClientStatus {
  state: "connecting" | "open" | "closed" | "draining" | "stopped";
  connectedSince: string | null;
  epoch: string | null;
  configVersion: number;
  reconnects: number;
  inFlight: number;
  callsServed: number;
  callsFailed: number;
  callsRefused: number;
  badFrames: number;
  /** Tunnels dropped because the edge went silent (half-open). */
  silentDrops: number;
}

/** What the edge says about the tunnel that a supervisor wants to know (connector-host/supervisor). */
export interface EdgeClientListener {
  /** Registered: the edge answered hello with welcome (and the version it wants here). */
  welcomed(desiredVersion: string): void;
  /** The edge answered a heartbeat; it may name another desired version. */
  heartbeatAcknowledged(desiredVersion: string): void;
}

/**
 * Chunks of a stream stay far under the frame limit: the edge parses and validates a chunk in
 * one go, and a live call to the same tenant waits for that, so small chunks keep it short.
 */
const MAX_CHUNK_BYTES = Math.min(MAX_FRAME_BYTES / 4, 64 * 1024);
const WELCOME_TIMEOUT_MS = 10_000;
/**
 * The edge answers every heartbeat (when its welcome names an interval). A tunnel that stays
 * silent this many intervals is half-open (nobody at the other end, no FIN will come): the
 * connector drops it and dials again instead of waiting for TCP to notice, which can take hours.
 */
const EDGE_SILENT_INTERVALS = 3;

/**
 * The connector's side of the tunnel: dials the edge (outbound only), says hello, heartbeats,
 * runs the calls the edge sends through the provider (only those the local config allows),
 * streams with credit-based flow control, and reconnects with exponential backoff and jitter.
 */
export class EdgeClient {
  private socket: WebSocket | undefined;
  private readonly inFlight = new Map<bigint, InFlight>();
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private welcomeTimer: NodeJS.Timeout | undefined;
  private silenceWatch: NodeJS.Timeout | undefined;
  /** When the edge last sent anything on the current socket. */
  private lastFromEdge = 0;
  private attempt = 0;
  private stopped = false;
  private tenantConfig: unknown;
  listener: EdgeClientListener | undefined;
  readonly status: EdgeClientStatus = {
    state: "closed", connectedSince: null, epoch: null, configVersion: 0, reconnects: 0, inFlight: 0, callsServed: 0, callsFailed: 0, callsRefused: 0, badFrames: 0, silentDrops: 0,
  };

  constructor(
    private readonly config: ConnectorConfig,
    private readonly token: string,
    private readonly provider: Provider,
    private readonly version: string,
    private readonly log: Logger,
    /** Where sync streams to the ingest route run (startConnector: a thread of their own). */
    private readonly ingest: IngestRunner = inlineIngest(provider),
  ) {}

  get url(): string {
    const base = this.config.edgeUrl.replace(/^http/, "ws").replace(/\/$/, "");
    return `${base}/v1/connector/connect`;
  }

  /** Where the batches of an ingest stream go: the edge itself unless the config names another origin. */
  private ingestUrl(path: string): string {
    const origin = (this.config.ingestOrigin ?? this.config.edgeUrl).replace(/^ws/, "http");
    return new URL(path, origin).toString();
  }

  /** The tenant configuration the edge pushed with its last welcome. */
  get appliedConfig(): unknown {
    return this.tenantConfig;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    this.status.state = "connecting";
    const ws = new WebSocket(this.url, { headers: { authorization: `Bearer ${this.token}` }, perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES, handshakeTimeout: 10_000 });
    ws.binaryType = "nodebuffer";
    this.socket = ws;
    ws.on("open", () => {
      try {
        this.send(ws, 0n, {
          case: "hello",
          value: {
            connectorId: this.config.connectorId,
            version: this.version,
            capabilities: this.capabilities(),
            businessUnits: this.config.businessUnits,
            protocolVersion: PROTOCOL_VERSION,
            maxInFlightPerBusinessUnit: this.config.erp.sessionsPerBusinessUnit,
          },
        });
        this.welcomeTimer = setTimeout(() => {
          this.log("warn", "no welcome from the edge; reconnecting");
          ws.terminate();
        }, WELCOME_TIMEOUT_MS);
      } catch (err) {
        this.log("error", "sending hello failed", { error: String(err) });
        ws.terminate();
      }
    });
    ws.on("message", (data: Buffer, isBinary: boolean) => this.onMessage(ws, data, isBinary));
    ws.on("unexpected-response", (_req, res) => {
      this.log(res.statusCode === 401 || res.statusCode === 403 ? "error" : "warn", "edge refused the connection", { status: res.statusCode });
      ws.terminate();
    });
    ws.on("error", (err) => this.log("warn", "tunnel error", { error: err.message }));
    ws.on("close", (code, reason) => this.onClose(ws, code, reason.toString()));
  }

  /** Operations this connector will run: allowed locally and implemented by the provider. */
  private capabilities(): string[] {
    return OPERATION_NAMES.filter((op) => isAllowed(this.config, op) && (op.startsWith("sys.") || this.provider.info.capabilities.includes(op)));
  }

  private send(ws: WebSocket, callId: bigint, body: FrameBodyInit): void {
    if (ws.readyState !== WebSocket.OPEN) throw new CancelledError("tunnel is not open");
    ws.send(encodeFrame(callId, body));
  }

  private onMessage(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (ws === this.socket) this.lastFromEdge = Date.now();
    let frame: Frame;
    try {
      if (!isBinary) throw new Error("text message on a binary protocol");
      frame = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } catch (err) {
      this.status.badFrames++;
      this.log("warn", "malformed frame from the edge", { error: String(err), bytes: data.byteLength });
      this.trySend(ws, 0n, { case: "error", value: { code: "bad_frame", message: String((err as Error).message).slice(0, 200), retryable: false } });
      return;
    }
    try {
      this.dispatch(ws, frame);
    } catch (err) {
      this.log("error", "frame handling failed", { error: String(err), frame: frame.body.case });
    }
  }

  private dispatch(ws: WebSocket, frame: Frame): void {
    const body = frame.body;
    switch (body.case) {
      case "welcome": {
        clearTimeout(this.welcomeTimer);
        this.attempt = 0;
        this.status.state = "open";
        this.status.connectedSince = new Date().toISOString();
        this.status.epoch = body.value.epoch.toString();
        this.applyConfig(body.value.configVersion, body.value.configJson);
        const every = body.value.heartbeatIntervalMs > 0 ? Math.min(body.value.heartbeatIntervalMs, this.config.heartbeatMs) : this.config.heartbeatMs;
        clearInterval(this.heartbeat);
        this.heartbeat = setInterval(() => this.sendHeartbeat(ws), every);
        if (body.value.heartbeatIntervalMs > 0) this.watchSilence(ws, every);
        this.log("info", "connected to the edge", { epoch: this.status.epoch, configVersion: this.status.configVersion, heartbeatMs: every, desiredVersion: body.value.desiredConnectorVersion || undefined });
        this.listener?.welcomed(body.value.desiredConnectorVersion);
        return;
      }
      case "heartbeat":
        if (body.value.configVersion && body.value.configVersion !== this.status.configVersion) {
          this.log("info", "edge has a newer tenant configuration; awaiting it", { current: this.status.configVersion, edge: body.value.configVersion });
        }
        this.listener?.heartbeatAcknowledged(body.value.desiredConnectorVersion);
        return;
      case "call":
        void this.runCall(ws, frame.callId, body.value);
        return;
      case "credit":
        this.inFlight.get(frame.callId)?.credit?.grant(body.value.chunks);
        return;
      case "cancel": {
        const f = this.inFlight.get(frame.callId);
        if (f) {
          f.controller.abort(new CancelledError(body.value.reason || "cancelled by the edge"));
          f.credit?.close("cancelled by the edge");
        }
        return;
      }
      case "error":
        this.log("warn", "edge reported an error", { code: body.value.code, message: body.value.message, callId: frame.callId.toString() });
        return;
      default:
        this.status.badFrames++;
        this.log("warn", "unknown frame type from the edge", { case: body.case ?? "none" });
        this.trySend(ws, frame.callId, { case: "error", value: { code: "unknown_frame", message: `frame type '${body.case ?? "none"}' is not handled by the connector`, retryable: false } });
    }
  }

  private applyConfig(version: number, json: Uint8Array): void {
    if (json.byteLength > 0) {
      try {
        this.tenantConfig = parseJsonBytes(json);
      } catch {
        this.log("warn", "tenant configuration from the edge is not valid JSON; keeping the previous one", { version });
        return;
      }
    }
    if (version !== this.status.configVersion) this.log("info", "applied tenant configuration", { configVersion: version });
    this.status.configVersion = version;
  }

  /** Drops a tunnel the edge has not answered on for EDGE_SILENT_INTERVALS heartbeats. */
  private watchSilence(ws: WebSocket, every: number): void {
    clearInterval(this.silenceWatch);
    this.lastFromEdge = Date.now();
    this.silenceWatch = setInterval(() => {
      const silentMs = Date.now() - this.lastFromEdge;
      if (ws !== this.socket || silentMs <= EDGE_SILENT_INTERVALS * every) return;
      this.status.silentDrops++;
      this.log("warn", "edge silent (half-open tunnel?); reconnecting", { silentMs, heartbeatMs: every });
      clearInterval(this.silenceWatch);
      ws.terminate();
    }, every);
  }

  private sendHeartbeat(ws: WebSocket): void {
    const metrics: Record<string, number> = { ...this.provider.metrics(), ...this.ingest.metrics(), inFlight: this.inFlight.size, callsServed: this.status.callsServed, callsFailed: this.status.callsFailed };
    this.trySend(ws, 0n, { case: "heartbeat", value: { sentAtMs: BigInt(Date.now()), metrics, configVersion: this.status.configVersion } });
  }

  private trySend(ws: WebSocket, callId: bigint, body: FrameBodyInit): boolean {
    try {
      this.send(ws, callId, body);
      return true;
    } catch {
      return false;
    }
  }

  private async runCall(ws: WebSocket, callId: bigint, call: Call): Promise<void> {
    const started = Date.now();
    const fields = { requestId: call.requestId, ...traceFields(call.traceparent), callId: callId.toString(), operation: call.operation, businessUnit: call.businessUnit };
    const op = operation(call.operation);
    const fail = (err: unknown) => {
      this.trySend(ws, callId, { case: "error", value: errorFields(err) });
    };
    if (this.status.state === "draining") {
      this.status.callsRefused++;
      return fail(new ConnectorError("draining", "connector is shutting down", true));
    }
    if (!op) {
      this.status.callsRefused++;
      this.log("warn", "unknown operation refused", fields);
      return fail(new ConnectorError("unknown_operation", `unknown operation '${call.operation}'`));
    }
    if (!isAllowed(this.config, call.operation)) {
      this.status.callsRefused++;
      this.log("warn", "operation refused by local policy", fields);
      return fail(new ForbiddenOperationError(call.operation));
    }
    if (this.inFlight.has(callId)) return fail(new ConnectorError("duplicate_call", `call ${callId} is already running`));
    let payload: unknown;
    try {
      payload = op.schema.parse(parseJsonBytes(call.payloadJson) ?? {});
    } catch (err) {
      this.status.callsRefused++;
      const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
      const msg = issues ? issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).join("; ") : "payload is not valid JSON";
      return fail(new ConnectorError("bad_request", msg.slice(0, 500)));
    }
    const controller = new AbortController();
    const flight: InFlight = { controller, socket: ws, operation: call.operation, ...(op.kind === "stream" && { credit: new CreditGate(call.initialCredit || 8) }) };
    this.inFlight.set(callId, flight);
    this.status.inFlight = this.inFlight.size;
    // For a unary call the deadline bounds the whole call; for a stream, as on the edge, the
    // silence between chunks (a full sync streams for many minutes).
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const armDeadline = () => {
      clearTimeout(deadline);
      if (call.deadlineMs > 0) deadline = setTimeout(() => controller.abort(new CancelledError("deadline exceeded")), call.deadlineMs);
    };
    armDeadline();
    // A stream waiting for credit wakes up when the call is cancelled or its deadline passes.
    controller.signal.addEventListener("abort", () => flight.credit?.close(String((controller.signal.reason as Error)?.message ?? "cancelled")), { once: true });
    const ctx: TenantContext = {
      tenantId: this.config.tenantId,
      businessUnit: call.businessUnit || this.config.businessUnits[0]!,
      requestId: call.requestId,
      signal: controller.signal,
      priority: call.priority === Priority.BACKGROUND ? "background" : "live",
    };
    try {
      if (op.kind === "unary") {
        const result = await op.run(this.provider, ctx, payload);
        if (!this.trySend(ws, callId, { case: "result", value: { payloadJson: jsonBytes(result ?? null) } })) this.log("warn", "result dropped: tunnel closed", fields);
      } else {
        let seq = 0n;
        let total = 0;
        let summary: unknown;
        if (call.ingest) {
          // The batches bypass the tunnel (proto StreamIngest); the edge hears of their progress.
          const { signal: _signal, ...plain } = ctx;
          const target = { url: this.ingestUrl(call.ingest.path), streamId: call.ingest.streamId, token: this.token, rowsPerPost: call.ingest.rowsPerPost || 1000 };
          ({ total, summary } = await this.ingest.run({ operation: call.operation as OperationName, payload, ctx: plain, target }, controller.signal, (batches, rows) => {
            this.trySend(ws, callId, { case: "streamProgress", value: { batches: BigInt(batches), rows: BigInt(rows) } });
            armDeadline();
          }));
        } else {
          summary = op.summary ? await op.summary(this.provider, ctx, payload) : undefined;
          for await (const batch of op.run(this.provider, ctx, payload)) {
            for (const part of partsOf(batch, MAX_CHUNK_BYTES)) {
              await flight.credit!.take();
              if (controller.signal.aborted) throw controller.signal.reason;
              this.send(ws, callId, { case: "streamChunk", value: { seq: seq++, rows: part.rows, payloadJson: utf8.encode(part.json) } });
              armDeadline();
              total += part.rows;
            }
          }
        }
        this.send(ws, callId, { case: "streamEnd", value: { totalRows: BigInt(total), summaryJson: summary === undefined ? new Uint8Array() : jsonBytes(summary) } });
      }
      this.status.callsServed++;
      this.log("info", "call served", { ...fields, ms: Date.now() - started });
    } catch (err) {
      this.status.callsFailed++;
      this.log("warn", "call failed", { ...fields, ms: Date.now() - started, code: (err as { code?: string }).code, error: String((err as Error).message) });
      fail(err);
    } finally {
      clearTimeout(deadline);
      this.inFlight.delete(callId);
      this.status.inFlight = this.inFlight.size;
    }
  }

  /** Pushes an ERP event (price, stock, order changes) so the edge can invalidate its cache. */
  sendEvent(kind: string, payload: unknown): boolean {
    const ws = this.socket;
    if (!ws || this.status.state !== "open") return false;
    return this.trySend(ws, 0n, { case: "event", value: { kind, payloadJson: jsonBytes(payload) } });
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.socket) return;
    clearInterval(this.heartbeat);
    clearInterval(this.silenceWatch);
    clearTimeout(this.welcomeTimer);
    const wasOpen = this.status.state === "open" || this.status.state === "draining";
    this.status.connectedSince = null;
    // Calls of this connection can no longer answer: stop queued ERP work, end streams.
    for (const [id, f] of this.inFlight) {
      if (f.socket !== ws) continue;
      f.controller.abort(new CancelledError("tunnel closed"));
      f.credit?.close("tunnel closed");
      this.inFlight.delete(id);
    }
    this.status.inFlight = this.inFlight.size;
    if (this.stopped) {
      this.status.state = "stopped";
      return;
    }
    this.status.state = "closed";
    const delay = this.backoff();
    this.log(wasOpen ? "warn" : "info", "tunnel closed; reconnecting", { code, reason, inMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.status.reconnects++;
      this.connect();
    }, delay);
  }

  /** Exponential backoff with full jitter: uniform in [0, min(max, min * 2^attempt)]. */
  private backoff(): number {
    const { minDelayMs, maxDelayMs } = this.config.reconnect;
    const cap = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    return Math.max(minDelayMs / 2, Math.round(Math.random() * cap));
  }

  /** Drops the tunnel abruptly (as a network failure would); the client reconnects. */
  dropConnection(): void {
    this.socket?.terminate();
  }

  /** Dies without draining or reconnecting, as a crashed process would (tests, chaos). */
  kill(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeat);
    clearInterval(this.silenceWatch);
    this.socket?.terminate();
  }

  /**
   * Graceful stop (SIGTERM): refuse new calls, let running ones finish (up to drainMs), then
   * close the tunnel with "going away".
   */
  async stop(drainMs = this.config.drainTimeoutMs): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    if (this.status.state === "open") this.status.state = "draining";
    const deadline = Date.now() + drainMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    clearInterval(this.heartbeat);
    clearInterval(this.silenceWatch);
    const ws = this.socket;
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2_000);
        ws.once("close", () => {
          clearTimeout(t);
          resolve();
        });
        ws.close(1001, "connector shutting down");
      });
    }
    this.status.state = "stopped";
  }
}

/** Splits a batch whose JSON would be too large for one frame. */
/** Stream chunks go out as UTF-8 JSON (partsOf splits a batch into arrays of at most MAX_CHUNK_BYTES). */
const utf8 = new TextEncoder();
