import { type Frame, Priority, encodeFrame, jsonBytes, parseJsonBytes } from "../../proto/tunnel.ts";
import { LiveCallError, fromConnectorError } from "../errors.ts";
import type { SocketAttachment } from "../tunnel/attachment.ts";
import { nextTurn } from "./next-turn.ts";

export interface Connection {
  ws: WebSocket;
  att: SocketAttachment & { hello: NonNullable<SocketAttachment["hello"]> };
}

export interface CallSpec {
  operation: string;
  businessUnit: string;
  /** Built when the call is sent, so a coalesced batch can keep growing while it waits. */
  payload: () => unknown;
  /** Safe to send again to another connector if this one drops (reads, idempotent creates). */
  safe: boolean;
  priority: "live" | "background";
  deadlineMs: number;
  requestId: string;
  /** W3C traceparent of the hop into the tunnel (live calls from a storefront request). */
  traceparent?: string;
  /** A stream whose batches the connector posts to the edge's ingest route instead (proto StreamIngest). */
  ingest?: { path: string; streamId: string; rowsPerPost: number };
}

/**
 * A streaming call: chunks are handed over one at a time and credit is granted after each; an
 * ingest stream (CallSpec.ingest) sends no chunks, only progress of the batches it posted.
 */
export interface StreamHandler {
  initialCredit: number;
  onChunk?(rows: unknown[], seq: bigint): Promise<void>;
  onProgress?(batches: number, rows: number): void;
}

interface Pending {
  id: bigint;
  spec: CallSpec;
  stream?: StreamHandler & { chain: Promise<void>; failed?: unknown; delivered: number };
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  deadline: ReturnType<typeof setTimeout>;
  startedAt: number;
  attempts: number;
  /** Where it was sent; undefined while queued in the DO. */
  sentTo?: { connectorId: string; epoch: number; ws: WebSocket };
}

export interface CallObserver {
  (operation: string, status: string, seconds: number): void;
}

/**
 * The DO's pending-call map and per-BusinessUnit queues. Each call has a deadline (then a
 * cancel frame and a clear error); a connector gets at most as many calls per BusinessUnit as
 * it advertised (the ERP session is not thread-safe); live calls go first; the queue is bounded
 * (BUSY when full); calls are spread over replicas by load; a safe call whose connector drops
 * is sent once more to another; results from a replaced (older epoch) socket are dropped.
 */
export class CallDispatcher {
  private readonly pending = new Map<bigint, Pending>();
  private readonly queues = new Map<string, { live: Pending[]; background: Pending[] }>();
  private counter = 0n;
  private readonly idBase = BigInt(Date.now()) * 1_000_000n;

  /** Set by the owner to cancel orphaned streams on the socket they arrive on. */
  orphanCancel?: (callId: bigint, att: SocketAttachment) => void;

  constructor(
    private readonly connections: () => Connection[],
    private readonly queueCapacity: () => number,
    private readonly observe: CallObserver,
    private readonly log: (level: "info" | "warn", msg: string, fields?: Record<string, unknown>) => void,
  ) {}

  get inFlight(): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.sentTo) n++;
    return n;
  }

  queueDepth(bu?: string): number {
    let n = 0;
    for (const [k, q] of this.queues) if (bu === undefined || k === bu) n += q.live.length + q.background.length;
    return n;
  }

  /**
   * A streaming call (sync batches). It does not take the BusinessUnit's live slot: the
   * connector's actor already interleaves each batch fetch with live calls, live first. The
   * deadline applies to the silence between chunks, not to the whole stream.
   */
  stream(spec: CallSpec, handler: StreamHandler): Promise<{ totalRows: number; summary: unknown }> {
    return this.submit(spec, handler) as Promise<{ totalRows: number; summary: unknown }>;
  }

  submit(spec: CallSpec, stream?: StreamHandler): Promise<unknown> {
    const serving = this.connections().filter((c) => c.att.hello.businessUnits.includes(spec.businessUnit));
    if (serving.length === 0) {
      this.observe(spec.operation, "connector_offline", 0);
      return Promise.reject(new LiveCallError("connector_offline", `no connector of this tenant is online for BusinessUnit '${spec.businessUnit}'`, 5));
    }
    if (!serving.some((c) => c.att.hello.capabilities.includes(spec.operation))) {
      this.observe(spec.operation, "forbidden_operation", 0);
      return Promise.reject(new LiveCallError("forbidden_operation", `the tenant's connectors do not allow '${spec.operation}'`));
    }
    if (this.queueDepth(spec.businessUnit) >= this.queueCapacity()) {
      this.observe(spec.operation, "busy", 0);
      return Promise.reject(new LiveCallError("busy", `the ERP queue of BusinessUnit '${spec.businessUnit}' is full`, 1));
    }
    return new Promise((resolve, reject) => {
      const id = this.idBase + ++this.counter;
      const p: Pending = {
        id, spec, resolve, reject, startedAt: Date.now(), attempts: 0,
        deadline: setTimeout(() => this.expire(id), spec.deadlineMs),
        ...(stream && { stream: { ...stream, chain: Promise.resolve(), delivered: 0 } }),
      };
      this.pending.set(id, p);
      if (stream) {
        const target = this.pick(spec.businessUnit, spec.operation, true);
        if (!target) return this.finish(p, "connector_offline", new LiveCallError("connector_offline", "no connector can serve this stream now", 5));
        return this.send(p, target);
      }
      this.enqueue(p, false);
      this.pump();
    });
  }

  private queue(bu: string) {
    let q = this.queues.get(bu);
    if (!q) this.queues.set(bu, (q = { live: [], background: [] }));
    return q;
  }

  private enqueue(p: Pending, front: boolean): void {
    const q = this.queue(p.spec.businessUnit)[p.spec.priority];
    if (front) q.unshift(p);
    else q.push(p);
  }

  private inFlightOf(connectorId: string, epoch: number, bu: string): number {
    let n = 0;
    for (const p of this.pending.values()) if (!p.stream && p.sentTo?.connectorId === connectorId && p.sentTo.epoch === epoch && p.spec.businessUnit === bu) n++;
    return n;
  }

  /** Sends queued calls while some connector of their BusinessUnit has a free slot. */
  pump(): void {
    for (const [bu, q] of this.queues) {
      while (q.live.length + q.background.length > 0) {
        const next = q.live[0] ?? q.background[0]!;
        const target = this.pick(bu, next.spec.operation);
        if (!target) {
          if (!this.connections().some((c) => c.att.hello.businessUnits.includes(bu))) this.failQueued(bu);
          break;
        }
        (q.live.length > 0 ? q.live : q.background).shift();
        this.send(next, target);
      }
    }
  }

  /** Least loaded connector with a free slot: our in-flight calls plus its reported queue. */
  private pick(bu: string, operation: string, ignoreSlots = false): Connection | undefined {
    let best: Connection | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (const c of this.connections()) {
      const h = c.att.hello;
      if (!h.businessUnits.includes(bu) || !h.capabilities.includes(operation)) continue;
      const mine = this.inFlightOf(c.att.connectorId, c.att.epoch, bu);
      if (!ignoreSlots && mine >= Math.max(1, h.maxInFlight)) continue;
      const load = mine + (c.att.queueDepth?.[bu] ?? 0);
      if (load < bestLoad) {
        best = c;
        bestLoad = load;
      }
    }
    return best;
  }

  private send(p: Pending, c: Connection): void {
    let payload: Uint8Array;
    try {
      payload = jsonBytes(p.spec.payload());
    } catch (err) {
      return this.finish(p, "bad_request", new LiveCallError("bad_request", `payload could not be encoded: ${String(err)}`));
    }
    p.sentTo = { connectorId: c.att.connectorId, epoch: c.att.epoch, ws: c.ws };
    p.attempts++;
    const remaining = Math.max(1, p.spec.deadlineMs - (Date.now() - p.startedAt));
    try {
      c.ws.send(
        encodeFrame(p.id, {
          case: "call",
          value: {
            operation: p.spec.operation, businessUnit: p.spec.businessUnit, payloadJson: payload, deadlineMs: remaining,
            requestId: p.spec.requestId, traceparent: p.spec.traceparent ?? "", priority: p.spec.priority === "live" ? Priority.LIVE : Priority.BACKGROUND,
            initialCredit: p.stream?.initialCredit ?? 0,
            ...(p.spec.ingest && { ingest: p.spec.ingest }),
          },
        }, BigInt(c.att.epoch)),
      );
    } catch {
      // The socket is already gone; treat it like a drop of this connector.
      this.retryOrFail(p, "send failed");
    }
  }

  /** A result, error or stream frame from a connector socket. Unknown or fenced ids are dropped. */
  handleFrame(att: SocketAttachment, frame: Frame): void {
    const p = this.pending.get(frame.callId);
    if (!p || !p.sentTo) {
      this.log("warn", "dropping a frame for no pending call", { callId: frame.callId.toString(), case: frame.body.case, connectorId: att.connectorId });
      // A stream nobody here is reading any more (this object restarted): tell the connector.
      if (frame.body.case === "streamChunk") this.orphanCancel?.(frame.callId, att);
      return;
    }
    if (p.sentTo.connectorId !== att.connectorId || p.sentTo.epoch !== att.epoch) {
      this.log("warn", "dropping a late frame from a replaced connection", { callId: frame.callId.toString(), connectorId: att.connectorId, epoch: att.epoch });
      return;
    }
    const body = frame.body;
    if (body.case === "streamChunk" || body.case === "streamEnd" || body.case === "streamProgress") return this.onStreamFrame(p, frame);
    if (body.case === "result") {
      let value: unknown;
      try {
        value = parseJsonBytes(body.value.payloadJson);
      } catch {
        return this.finish(p, "erp_error", new LiveCallError("erp_error", "connector sent a result that is not valid JSON"));
      }
      this.finish(p, "success", undefined, value);
    } else if (body.case === "error") {
      const err = fromConnectorError(body.value.code, body.value.message, body.value.retryable);
      if (body.value.retryable && p.spec.safe && err.code === "connector_disconnected") return this.retryOrFail(p, body.value.message);
      this.finish(p, err.code, err);
    }
  }

  /**
   * Chunks are processed strictly in order, one at a time; each processed chunk earns the
   * connector one more credit, so it can never run ahead of what the edge has written.
   */
  private onStreamFrame(p: Pending, frame: Frame): void {
    const s = p.stream;
    const body = frame.body;
    clearTimeout(p.deadline);
    p.deadline = setTimeout(() => this.expire(p.id), p.spec.deadlineMs);
    if (!s) return this.finish(p, "erp_error", new LiveCallError("erp_error", `connector sent a ${body.case} frame for a call that is not a stream`));
    if (body.case === "streamProgress") {
      s.onProgress?.(Number(body.value.batches), Number(body.value.rows));
    } else if (body.case === "streamChunk") {
      const onChunk = s.onChunk;
      if (!onChunk) {
        this.cancel(p, "this stream takes no chunks");
        return this.finish(p, "erp_error", new LiveCallError("erp_error", "connector sent chunks for a stream it should have posted to the ingest route"));
      }
      const seq = body.value.seq;
      const bytes = body.value.payloadJson;
      s.chain = s.chain.then(async () => {
        // Live calls that arrived meanwhile go first: a chunk is several milliseconds of CPU.
        await nextTurn();
        if (s.failed || !this.pending.has(p.id)) return;
        try {
          const rows = parseJsonBytes(bytes);
          if (!Array.isArray(rows)) throw new LiveCallError("bad_request", `stream chunk ${seq} is not an array`);
          await onChunk(rows, seq);
          s.delivered += rows.length;
          p.sentTo?.ws.send(encodeFrame(p.id, { case: "credit", value: { chunks: 1 } }, BigInt(p.sentTo.epoch)));
        } catch (err) {
          s.failed = err;
          this.cancel(p, "chunk could not be processed");
          this.finish(p, "chunk_failed", err);
        }
      });
    } else if (body.case === "streamEnd") {
      const total = Number(body.value.totalRows);
      let summary: unknown;
      try {
        summary = parseJsonBytes(body.value.summaryJson);
      } catch {
        summary = undefined;
      }
      s.chain = s.chain.then(() => {
        if (!s.failed) this.finish(p, "success", undefined, { totalRows: total, summary });
      });
    }
  }

  private cancel(p: Pending, reason: string): void {
    try {
      p.sentTo?.ws.send(encodeFrame(p.id, { case: "cancel", value: { reason } }, BigInt(p.sentTo.epoch)));
    } catch {
      /* socket gone */
    }
  }

  private finish(p: Pending, status: string, err?: unknown, value?: unknown): void {
    if (!this.pending.delete(p.id)) return;
    clearTimeout(p.deadline);
    this.observe(p.spec.operation, status, (Date.now() - p.startedAt) / 1000);
    if (err) p.reject(err);
    else p.resolve(value);
    this.pump();
  }

  private expire(id: bigint): void {
    const p = this.pending.get(id);
    if (!p) return;
    if (p.sentTo) {
      try {
        p.sentTo.ws.send(encodeFrame(p.id, { case: "cancel", value: { reason: "deadline exceeded" } }, BigInt(p.sentTo.epoch)));
      } catch {
        /* socket gone: nothing to cancel */
      }
    } else {
      const q = this.queue(p.spec.businessUnit);
      q.live = q.live.filter((x) => x !== p);
      q.background = q.background.filter((x) => x !== p);
    }
    this.finish(p, "deadline_exceeded", new LiveCallError("deadline_exceeded", `the ERP did not answer '${p.spec.operation}' within ${p.spec.deadlineMs} ms`));
  }

  private retryOrFail(p: Pending, reason: string): void {
    p.sentTo = undefined;
    // A stream cannot be resent transparently (chunks were already written): its owner resumes.
    if (!p.stream && p.spec.safe && p.attempts < 2 && this.connections().length > 0) {
      this.log("info", "retrying a safe call on another connector", { operation: p.spec.operation, reason });
      this.enqueue(p, true);
      this.pump();
      return;
    }
    this.finish(p, "connector_disconnected", new LiveCallError("connector_disconnected", `the connector dropped while '${p.spec.operation}' was running (${reason})`, 1));
  }

  /** Every call sent on this socket fails over (if safe) or fails now: no caller waits for a timeout. */
  socketClosed(connectorId: string, epoch: number): void {
    for (const p of [...this.pending.values()]) {
      if (p.sentTo?.connectorId === connectorId && p.sentTo.epoch === epoch) this.retryOrFail(p, "socket closed");
    }
    this.pump();
  }

  private failQueued(bu: string): void {
    const q = this.queue(bu);
    for (const p of [...q.live.splice(0), ...q.background.splice(0)]) {
      this.finish(p, "connector_offline", new LiveCallError("connector_offline", `no connector of this tenant is online for BusinessUnit '${bu}'`, 5));
    }
  }
}
