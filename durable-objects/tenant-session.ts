import { DurableObject } from "cloudflare:workers";
import { type Frame, PROTOCOL_VERSION, decodeFrame, encodeFrame, jsonBytes, parseJsonBytes } from "../proto/tunnel.ts";
import type { OrderRequest } from "../schema/order-request.ts";
import { type TenantConfig, tenantConfigSchema } from "../schema/tenant-config.ts";
import { createLogger, type Logger } from "../workers/lib/log.ts";
import { AlarmSchedule } from "./alarms.ts";
import { CallDispatcher, type Connection } from "./calls/dispatcher.ts";
import type { CallOrigin } from "./calls/origin.ts";
import { type LiveResult, toLiveError } from "./errors.ts";
import { LiveCache } from "./live/cache.ts";
import { type ItemAnswer, LiveServices, type PriceItem } from "./live/services.ts";
import { CallMetrics } from "./metrics.ts";
import type { MoveState } from "./move/gate.ts";
import { type DrainReport, MoveError, TenantMover } from "./move/mover.ts";
import type { SnapshotPart } from "./move/snapshot-schema.ts";
import { ReleaseMetrics } from "./release-metrics.ts";
import { type PlaceOrder, type Placed, OrderService } from "./orders/service.ts";
import type { OrderView } from "./orders/types.ts";
import { type StartResult, SyncRunner } from "./sync/runner.ts";
import type { SyncMode } from "../schema/sync.ts";
import { type SocketAttachment, attachmentOf, setAttachment } from "./tunnel/attachment.ts";
import { judgeLiveness, lastSign, silentDeadline } from "./tunnel/liveness.ts";
import { Presence, type PresenceRow, mirrorPresence } from "./tunnel/presence.ts";

/** What the Worker tells the DO about its tenant on every call (config changes reach it at once). */
export interface TenantRef {
  tenantId: string;
  config: TenantConfig;
  configVersion: number;
}

export interface SessionInfo {
  tenantId: string;
  calls: number;
  createdAt: string;
}

const PRESENCE_MIRROR_EVERY_MS = 25_000;

/**
 * One per tenant (`idFromName(tenantId)`), single-threaded: it owns the tenant's connector
 * sockets (hibernation API: they survive eviction, their state rides in attachments and SQLite)
 * and every live ERP call: pending calls with deadlines, per-BusinessUnit serialization,
 * coalescing, the live cache and degraded mode, presence, and metrics.
 */
export class TenantSession extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly presence: Presence;
  private readonly cache: LiveCache;
  private readonly metrics: CallMetrics;
  private readonly releaseMetrics: ReleaseMetrics;
  private readonly dispatcher: CallDispatcher;
  private readonly live: LiveServices;
  private readonly sync: SyncRunner;
  private readonly alarms: AlarmSchedule;
  private readonly orders: OrderService;
  private readonly mover: TenantMover;
  private tenant: TenantRef | undefined;
  private log: Logger;
  private lastMirror = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    this.presence = new Presence(this.sql);
    this.cache = new LiveCache(this.sql);
    this.metrics = new CallMetrics(this.sql);
    this.releaseMetrics = new ReleaseMetrics(this.sql);
    const stored = this.meta("tenant");
    this.tenant = stored ? (JSON.parse(stored) as TenantRef) : undefined;
    this.log = createLogger(env.LOG_LEVEL, { tenantId: this.tenant?.tenantId, component: "tenant-session" });
    this.dispatcher = new CallDispatcher(
      () => this.connections(),
      () => this.config().live.queueCapacity,
      (op, status, seconds) => this.metrics.record(op, status, seconds),
      (level, msg, fields) => this.log(level, msg, fields),
    );
    this.dispatcher.orphanCancel = (callId, att) => {
      for (const ws of this.ctx.getWebSockets(att.connectorId)) {
        if (attachmentOf(ws)?.epoch === att.epoch) this.trySend(ws, callId, { case: "cancel", value: { reason: "no longer read by the edge" } });
      }
    };
    this.live = new LiveServices(this.dispatcher, this.cache, () => this.config());
    this.alarms = new AlarmSchedule(ctx.storage);
    this.sync = new SyncRunner(ctx, env, this.dispatcher, this.alarms, () => this.tenant, () => this.log);
    this.orders = new OrderService({
      storage: ctx.storage, env, dispatcher: this.dispatcher, live: this.live, alarms: this.alarms,
      config: () => this.config(), tenantId: () => this.tenant?.tenantId, log: () => this.log,
    });
    this.mover = new TenantMover({
      storage: ctx.storage, alarms: this.alarms, deliverPending: () => this.orders.deliverPending(), sockets: () => this.ctx.getWebSockets(),
      closeSockets: (code, reason) => this.closeSockets(code, reason, () => true), log: () => this.log,
    });
  }

  /**
   * The one alarm serves the sync run (watchdog, resume after a restart) and order delivery
   * (backoff, resume after a restart): each part whose time has come is woken, then the alarm
   * is set to the earliest time any part still wants.
   */
  override async alarm(): Promise<void> {
    for (const owner of this.alarms.takeDue(Date.now())) {
      try {
        if (owner === "sync") await this.sync.onAlarm();
        else if (owner === "liveness") await this.checkLiveness();
        else await this.orders.onAlarm();
      } catch (err) {
        this.log("error", "alarm handler failed", { owner, error: String(err) });
      }
    }
    await this.alarms.arm();
  }

  /** Starts a master-data sync run now, or joins the running one. */
  async startSync(ref: TenantRef, mode: SyncMode, trigger: "cron" | "admin"): Promise<StartResult> {
    this.adopt(ref);
    this.mover.gate.assertAccepts("write");
    return this.sync.start(mode, trigger);
  }

  private meta(key: string): string | undefined {
    return this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, key).toArray()[0]?.value;
  }

  private setMeta(key: string, value: string): void {
    this.sql.exec(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value);
  }

  private config(): TenantConfig {
    return this.tenant?.config ?? tenantConfigSchema.parse({});
  }

  /** The connector version this tenant should run: its own override, else its ring's version. */
  private desiredConnectorVersion(): string {
    return this.config().connectorRegistration.desiredConnectorVersion ?? this.meta("ring_connector_version") ?? "";
  }

  private heartbeatIntervalMs(): number {
    return this.config().connectorRegistration.heartbeatIntervalMs;
  }

  /** Binds the object to its tenant on first use and refuses to serve any other. */
  private bindTenant(tenantId: string): void {
    const bound = this.tenant?.tenantId ?? this.meta("bound_tenant");
    if (bound === tenantId) return;
    if (bound) throw new Error(`TenantSession of '${bound}' was addressed as '${tenantId}'`);
    this.setMeta("bound_tenant", tenantId);
    this.setMeta("created_at", new Date().toISOString());
  }

  /** Takes the tenant's reference on every call: binds on first use, adopts newer config. */
  private adopt(ref: TenantRef): void {
    this.bindTenant(ref.tenantId);
    const newer = !this.tenant || ref.configVersion > this.tenant.configVersion;
    if (!this.tenant || newer) {
      this.tenant = ref;
      this.setMeta("tenant", JSON.stringify(ref));
      this.log = createLogger(this.env.LOG_LEVEL, { tenantId: ref.tenantId, component: "tenant-session" });
      if (newer) this.pushConfig();
    }
  }

  /** Open, registered connector sockets of this tenant. */
  private connections(): Connection[] {
    const out: Connection[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      const att = attachmentOf(ws);
      if (att?.hello) out.push({ ws, att: att as Connection["att"] });
    }
    return out;
  }

  // ---- tunnel ---------------------------------------------------------------------------

  /** The Worker hands over an authenticated connector upgrade. */
  override async fetch(request: Request): Promise<Response> {
    const tenantId = request.headers.get("x-b2x-tenant");
    const connectorId = request.headers.get("x-b2x-connector-id");
    if (request.headers.get("upgrade") !== "websocket" || !tenantId || !connectorId) return new Response("expected an authenticated connector upgrade", { status: 400 });
    const move = this.mover.gate.state();
    if (move.phase !== "open") {
      // A connector that reaches the old ring during a move waits and retries; the router then sends it to the new one.
      const body = { error: { code: "tenant_moving", message: `this tenant is moving to the '${move.to}' ring; reconnect shortly`, requestId: request.headers.get("x-request-id") ?? "" } };
      return Response.json(body, { status: 503, headers: { "retry-after": "5" } });
    }
    const config = tenantConfigSchema.parse(JSON.parse(request.headers.get("x-b2x-tenant-config") ?? "{}"));
    this.adopt({ tenantId, config, configVersion: Number(request.headers.get("x-b2x-config-version") ?? "1") });
    const ringVersion = request.headers.get("x-b2x-ring-connector-version");
    if (ringVersion !== null) this.setMeta("ring_connector_version", ringVersion);
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [connectorId]);
    const tokenId = request.headers.get("x-b2x-token-id") ?? undefined;
    setAttachment(server, { connectorId, epoch: this.presence.nextEpoch(), connectedAt: Date.now(), ...(tokenId && { tokenId }) });
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: ArrayBuffer | string): Promise<void> {
    const att = attachmentOf(ws);
    if (!att) return;
    let frame: Frame;
    try {
      if (typeof message === "string") throw new Error("text message on a binary protocol");
      frame = decodeFrame(new Uint8Array(message));
    } catch (err) {
      this.log("warn", "malformed frame from a connector", { connectorId: att.connectorId, error: String(err) });
      this.trySend(ws, 0n, { case: "error", value: { code: "bad_frame", message: String((err as Error).message).slice(0, 200), retryable: false } });
      return;
    }
    try {
      this.onFrame(ws, att, frame);
    } catch (err) {
      this.log("error", "frame handling failed", { connectorId: att.connectorId, case: frame.body.case, error: String(err) });
    }
  }

  private onFrame(ws: WebSocket, att: SocketAttachment, frame: Frame): void {
    const body = frame.body;
    if (!att.hello && body.case !== "hello") {
      this.trySend(ws, frame.callId, { case: "error", value: { code: "hello_required", message: "the first frame must be hello", retryable: false } });
      return;
    }
    switch (body.case) {
      case "hello":
        return this.onHello(ws, att, body.value);
      case "heartbeat":
        return this.onHeartbeat(ws, att, body.value.metrics);
      case "result":
      case "error":
        if (frame.callId === 0n && body.case === "error") {
          this.log("warn", "connector reported an error", { connectorId: att.connectorId, code: body.value.code, message: body.value.message });
          return;
        }
        return this.dispatcher.handleFrame(att, frame);
      case "event": {
        let payload: { articleIds?: string[]; orderNos?: string[] } = {};
        try {
          payload = (parseJsonBytes(body.value.payloadJson) ?? {}) as typeof payload;
        } catch {
          /* an event without a readable payload invalidates nothing */
        }
        if (body.value.kind.startsWith("connector.update_")) return this.onUpdateReport(att, body.value.kind, payload);
        const n = this.live.onEvent(body.value.kind, payload);
        this.log("info", "ERP event", { connectorId: att.connectorId, kind: body.value.kind, invalidated: n });
        return;
      }
      case "streamChunk":
      case "streamProgress":
      case "streamEnd":
        return this.dispatcher.handleFrame(att, frame);
      default:
        this.log("warn", "unexpected frame from a connector", { connectorId: att.connectorId, case: body.case ?? "none" });
        this.trySend(ws, frame.callId, { case: "error", value: { code: "unknown_frame", message: `frame '${body.case ?? "none"}' is not accepted from a connector`, retryable: false } });
    }
  }

  private onHello(ws: WebSocket, att: SocketAttachment, hello: Extract<Frame["body"], { case: "hello" }>["value"]): void {
    if (hello.connectorId !== att.connectorId) {
      this.trySend(ws, 0n, { case: "error", value: { code: "connector_mismatch", message: `token is for connector '${att.connectorId}', hello says '${hello.connectorId}'`, retryable: false } });
      ws.close(4003, "connector id does not match its token");
      return;
    }
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      this.trySend(ws, 0n, { case: "error", value: { code: "unsupported_protocol", message: `protocol ${hello.protocolVersion} is not supported (need ${PROTOCOL_VERSION})`, retryable: false } });
      ws.close(4004, "unsupported protocol version");
      return;
    }
    // Fencing: an older connection of the same connector is closed; its late results are dropped.
    for (const other of this.ctx.getWebSockets(att.connectorId)) {
      const o = attachmentOf(other);
      if (other === ws || !o || o.epoch >= att.epoch) continue;
      try {
        other.close(4000, "replaced by a newer connection");
      } catch {
        /* already closed */
      }
      this.dispatcher.socketClosed(o.connectorId, o.epoch);
    }
    att.hello = {
      version: hello.version.slice(0, 64),
      capabilities: hello.capabilities.slice(0, 64),
      businessUnits: hello.businessUnits.slice(0, 64),
      maxInFlight: Math.min(Math.max(1, hello.maxInFlightPerBusinessUnit), 16),
    };
    setAttachment(ws, att);
    this.presence.online(att);
    this.trySend(ws, 0n, {
      case: "welcome",
      value: {
        tenantId: this.tenant?.tenantId ?? "", epoch: BigInt(att.epoch), configVersion: this.tenant?.configVersion ?? 0,
        configJson: jsonBytes(this.config()), heartbeatIntervalMs: this.heartbeatIntervalMs(),
        desiredConnectorVersion: this.desiredConnectorVersion(),
      },
    });
    this.log("info", "connector online", { connectorId: att.connectorId, epoch: att.epoch, version: att.hello.version, businessUnits: att.hello.businessUnits });
    this.mirror(att.connectorId, true);
    this.watchLiveness(att);
    this.dispatcher.pump();
    // Orders queued while no connector was online go now, not at their backoff time.
    this.orders.connectorOnline();
  }

  private onHeartbeat(ws: WebSocket, att: SocketAttachment, metrics: Record<string, number>): void {
    att.lastHeartbeat = Date.now();
    att.queueDepth = Object.fromEntries(Object.entries(metrics).filter(([k]) => k.startsWith("queueDepth.")).map(([k, v]) => [k.slice(11), v]));
    setAttachment(ws, att);
    this.presence.heartbeat(att, metrics);
    this.trySend(ws, 0n, { case: "heartbeat", value: { sentAtMs: BigInt(Date.now()), metrics: {}, configVersion: this.tenant?.configVersion ?? 0, desiredConnectorVersion: this.desiredConnectorVersion() } });
    this.mirror(att.connectorId, false);
    this.watchLiveness(att);
  }

  /** Makes sure the liveness alarm fires no later than this connector's silence deadline. */
  private watchLiveness(att: SocketAttachment): void {
    this.alarms.setEarliest("liveness", silentDeadline(att, this.heartbeatIntervalMs()) + 1).catch((err: unknown) => this.log("warn", "liveness alarm not set", { error: String(err) }));
  }

  /**
   * The liveness alarm: a connector silent for two heartbeat intervals is gone (half-open
   * socket, no FIN ever comes). Its socket is closed and its calls fail over or fail now, so
   * callers get connector_offline at once instead of waiting for their deadlines.
   */
  private async checkLiveness(): Promise<void> {
    const open: { socket: WebSocket; att: SocketAttachment }[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      const att = attachmentOf(ws);
      if (att && ws.readyState === WebSocket.OPEN) open.push({ socket: ws, att });
    }
    const now = Date.now();
    const verdict = judgeLiveness(open, this.heartbeatIntervalMs(), now);
    const dead = new Set(verdict.dead);
    this.closeSockets(4008, "no heartbeat", (_att, ws) => dead.has(ws), (att) => `silent for ${now - lastSign(att)} ms (no heartbeat)`);
    if (verdict.nextCheckAt !== undefined) await this.alarms.set("liveness", verdict.nextCheckAt);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.onSocketGone(ws, `closed ${code} ${reason}`);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "bye");
    } catch {
      /* already closed */
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.onSocketGone(ws, `error ${String(error)}`);
  }

  private onSocketGone(ws: WebSocket, why: string): void {
    const att = attachmentOf(ws);
    if (!att) return;
    this.dispatcher.socketClosed(att.connectorId, att.epoch);
    this.presence.offline(att.connectorId, att.epoch);
    this.log("info", "connector offline", { connectorId: att.connectorId, epoch: att.epoch, why });
    this.mirror(att.connectorId, true);
  }

  /** Sends the current tenant config to every connector (after an admin change). */
  private pushConfig(): void {
    for (const c of this.connections()) {
      this.trySend(c.ws, 0n, {
        case: "welcome",
        value: {
          tenantId: this.tenant!.tenantId, epoch: BigInt(c.att.epoch), configVersion: this.tenant!.configVersion, configJson: jsonBytes(this.config()),
          heartbeatIntervalMs: this.heartbeatIntervalMs(), desiredConnectorVersion: this.desiredConnectorVersion(),
        },
      });
    }
  }

  private trySend(ws: WebSocket, callId: bigint, body: Parameters<typeof encodeFrame>[1]): void {
    try {
      ws.send(encodeFrame(callId, body));
    } catch {
      /* socket already closed */
    }
  }

  /** Presence to Postgres in the background, at most every 25 s per connector unless forced. */
  private mirror(connectorId: string, force: boolean): void {
    const now = Date.now();
    if (!force && now - (this.lastMirror.get(connectorId) ?? 0) < PRESENCE_MIRROR_EVERY_MS) return;
    const row = this.presence.list().find((r) => r.connectorId === connectorId);
    if (!row || !this.tenant || !this.env.DATABASE_URL) return;
    this.lastMirror.set(connectorId, now);
    this.ctx.waitUntil(mirrorPresence(this.env, this.tenant.tenantId, row).catch((err: unknown) => this.log("warn", "presence mirror to Postgres failed", { error: String(err) })));
  }

  // ---- RPC for the Worker ------------------------------------------------------------------

  private async run<T>(ref: TenantRef, fn: () => Promise<T>, kind: "read" | "write" = "read"): Promise<LiveResult<T>> {
    this.adopt(ref);
    try {
      this.mover.gate.assertAccepts(kind);
      return { ok: true, value: await fn() };
    } catch (err) {
      return { ok: false, error: toLiveError(err) };
    }
  }

  prices(ref: TenantRef, origin: CallOrigin, customerId: string, items: PriceItem[]): Promise<LiveResult<ItemAnswer<object>[]>> {
    return this.run(ref, () => this.live.getPrices(origin, customerId, items));
  }

  stock(ref: TenantRef, origin: CallOrigin, articleIds: string[]): Promise<LiveResult<ItemAnswer<object>[]>> {
    return this.run(ref, () => this.live.getStock(origin, articleIds));
  }

  customer(ref: TenantRef, origin: CallOrigin, customerId: string): Promise<LiveResult<unknown>> {
    return this.run(ref, () => this.live.customer(origin, customerId));
  }

  /** Places an order once per idempotency key (see OrderService.create). */
  createOrder(ref: TenantRef, order: PlaceOrder): Promise<LiveResult<Placed>> {
    return this.run(ref, () => this.orders.create(order), "write");
  }

  /** The stored answer of an idempotency key, if it has one. */
  storedOrderAnswer(ref: TenantRef, customerId: string, idempotencyKey: string, request: OrderRequest): Promise<LiveResult<Placed | null>> {
    return this.run(ref, async () => (await this.orders.storedAnswer(customerId, idempotencyKey, request)) ?? null);
  }

  /** An order by the gateway's id or the ERP's number, for its own customer only. */
  order(ref: TenantRef, origin: CallOrigin, customerId: string, orderId: string): Promise<LiveResult<OrderView>> {
    return this.run(ref, () => this.orders.view(origin, customerId, orderId));
  }

  /**
   * A connector token was revoked: its open tunnels close at once (4001), their pending calls
   * fail over or fail like any dropped socket. Returns how many were closed.
   */
  async revokeConnectorToken(tokenId: string): Promise<number> {
    return this.closeSockets(4001, "connector token revoked", (att) => att.tokenId === tokenId);
  }

  /** Closes every tunnel of a tenant that was just disabled (4001): its connectors serve nothing more. */
  async closeAllTunnels(reason: string): Promise<number> {
    return this.closeSockets(4001, reason, () => true);
  }

  /**
   * Closes the connector sockets that match with a close code the connector understands, and
   * fails over or fails their pending calls now (a close frame may never be answered).
   */
  private closeSockets(code: number, reason: string, match: (att: SocketAttachment, ws: WebSocket) => boolean, why: (att: SocketAttachment) => string = () => reason): number {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const att = attachmentOf(ws);
      if (!att || !match(att, ws)) continue;
      try {
        ws.close(code, reason);
      } catch {
        /* already closing */
      }
      this.onSocketGone(ws, why(att));
      closed++;
    }
    if (closed > 0) this.log("warn", "closed connector sockets", { code, reason, closed });
    return closed;
  }

  // ---- moving the tenant to another rollout ring (see move/mover.ts) -------------------------

  private async moveStep<T>(fn: () => T | Promise<T>): Promise<LiveResult<T>> {
    try {
      return { ok: true, value: await fn() };
    } catch (err) {
      if (err instanceof MoveError) return { ok: false, error: { code: "move_conflict", message: err.message } };
      throw err;
    }
  }

  async moveStatus(): Promise<MoveState & { holdsState: boolean }> {
    return { ...this.mover.gate.state(), holdsState: this.mover.holdsState() };
  }

  moveDrain(ref: TenantRef, to: string): Promise<LiveResult<DrainReport>> {
    this.adopt(ref);
    return this.moveStep(() => this.mover.drain(to));
  }

  moveExport(): Promise<LiveResult<ReturnType<TenantMover["exportState"]>>> {
    return this.moveStep(() => this.mover.exportState());
  }

  moveImport(ref: TenantRef, part: SnapshotPart, reset: boolean): Promise<LiveResult<ReturnType<TenantMover["importState"]>>> {
    this.adopt(ref);
    return this.moveStep(() => this.mover.importState(part, reset));
  }

  moveFinishImport(ref: TenantRef): Promise<LiveResult<MoveState>> {
    this.adopt(ref);
    return this.moveStep(() => this.mover.finishImport());
  }

  moveComplete(): Promise<LiveResult<MoveState & { socketsClosed: number }>> {
    return this.moveStep(() => this.mover.complete());
  }

  moveCancel(): Promise<LiveResult<MoveState>> {
    return this.moveStep(() => this.mover.cancel());
  }

  /** Connector presence (each replica), as the DO knows it. */
  async connectorPresence(): Promise<{ connectors: (PresenceRow & { connected: boolean })[]; queueDepth: number; inFlight: number; cacheHitRatio: number; ordersQueued: number }> {
    const open = new Set(this.connections().map((c) => `${c.att.connectorId}:${c.att.epoch}`));
    return {
      connectors: this.presence.list().map((r) => ({ ...r, connected: open.has(`${r.connectorId}:${r.epoch}`) })),
      queueDepth: this.dispatcher.queueDepth(),
      inFlight: this.dispatcher.inFlight,
      cacheHitRatio: this.cache.hitRatio,
      ordersQueued: this.orders.pendingCount(),
    };
  }

  /**
   * The tenant's ring got another connector version (admin rollout), or the tenant another ring
   * or override (`ref`, adopted first): remembered, and the resulting desired version pushed at
   * once in a heartbeat to every connector of the tenant.
   */
  async setRingConnectorVersion(tenantId: string, version: string, ref?: TenantRef): Promise<{ desired: string; pushedTo: number }> {
    if (ref) this.adopt(ref);
    this.bindTenant(tenantId);
    this.setMeta("ring_connector_version", version);
    const desired = this.desiredConnectorVersion();
    const open = this.connections();
    for (const c of open) {
      this.trySend(c.ws, 0n, { case: "heartbeat", value: { sentAtMs: BigInt(Date.now()), metrics: {}, configVersion: this.tenant?.configVersion ?? 0, desiredConnectorVersion: desired } });
    }
    this.log("info", "ring connector version set", { version, desired, connectors: open.length });
    return { desired, pushedTo: open.length };
  }

  /** Counts a release download the Worker answered (metrics only). */
  async recordReleaseDownload(tenantId: string, file: string, status: string): Promise<void> {
    this.bindTenant(tenantId);
    this.releaseMetrics.download(status);
    if (status !== "ok") this.log("warn", "connector release download failed", { file, status });
  }

  /** A connector's report about an update (installed, refused, rolled back): logged and counted. */
  private onUpdateReport(att: SocketAttachment, kind: string, payload: Record<string, unknown>): void {
    const reason = typeof payload.reason === "string" ? payload.reason : undefined;
    const result = this.releaseMetrics.update(kind, reason);
    const fields = { connectorId: att.connectorId, kind, result, reason, version: payload.version, from: payload.from, message: payload.message, running: att.hello?.version };
    this.log(result === "installed" ? "info" : "warn", "connector update report", fields);
  }

  /** Prometheus lines of this tenant (the Worker names it: an object never called yet knows no tenant). */
  async metricLines(tenantId: string): Promise<string[]> {
    const now = Date.now();
    const tenant = this.tenant?.tenantId ?? tenantId;
    const releaseLines = this.releaseMetrics.render(
      tenant,
      this.desiredConnectorVersion(),
      this.connections().map((c) => ({ connectorId: c.att.connectorId, version: c.att.hello.version })),
    );
    return [...releaseLines, ...(await this.callMetricLines(tenant, now))];
  }

  private async callMetricLines(tenant: string, now: number): Promise<string[]> {
    return this.metrics.render(tenant, {
      cacheHitRatio: this.cache.hitRatio,
      queueDepth: this.dispatcher.queueDepth(),
      ordersQueued: this.orders.pendingCount(),
      connectors: this.connections().map((c) => ({
        connectorId: c.att.connectorId,
        queueDepth: Object.values(c.att.queueDepth ?? {}).reduce((a, b) => a + b, 0),
        lastHeartbeatAgeSeconds: Math.round((now - (c.att.lastHeartbeat ?? c.att.connectedAt)) / 1000),
      })),
      presence: (await this.connectorPresence()).connectors.map((r) => ({ connectorId: r.connectorId, version: r.version, online: r.connected })),
    });
  }

  /**
   * Restarts the object (ops, and tests of what callers see when a DO goes away mid-call):
   * in-memory state is dropped and in-flight RPCs fail; sockets and SQLite state survive.
   */
  async reset(reason: string): Promise<void> {
    this.log("warn", "tenant session reset requested", { reason });
    this.ctx.abort(reason);
  }

  /** A trivial round trip that proves the binding and the SQLite storage work. */
  async info(tenantId: string): Promise<SessionInfo> {
    this.bindTenant(tenantId);
    this.sql.exec(`INSERT INTO meta (key, value) VALUES ('calls', '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`);
    return { tenantId, calls: Number(this.meta("calls")), createdAt: String(this.meta("created_at")) };
  }
}
