import WebSocket from "ws";
import { type Frame, type FrameBodyInit, PROTOCOL_VERSION, decodeFrame, encodeFrame } from "../../../proto/tunnel.ts";
import { baseUrl } from "../client.ts";

/**
 * A hand-driven connector socket: sends exactly the bytes a test gives it and records every
 * frame and the close, so tests can play a connector that lies, replays or sends garbage.
 */
export class RawTunnel {
  readonly frames: Frame[] = [];
  undecodable = 0;
  closed?: { code: number; reason: string };
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      try {
        this.frames.push(decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
      } catch {
        this.undecodable++;
      }
    });
    ws.on("close", (code, reason) => (this.closed = { code, reason: reason.toString() }));
    ws.on("error", () => {});
  }

  static open(token: string): Promise<RawTunnel> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${baseUrl().replace(/^http/, "ws")}/v1/connector/connect`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false, handshakeTimeout: 10_000, maxPayload: 64 * 1024 * 1024 });
      ws.once("open", () => resolve(new RawTunnel(ws)));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once("error", reject);
    });
  }

  send(callId: bigint, body: FrameBodyInit, epoch = 0n): void {
    this.ws.send(encodeFrame(callId, body, epoch));
  }

  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  /** Says hello; by default it serves no operation, so the edge never routes a real call to it. */
  hello(connectorId: string, opts: { protocolVersion?: number; capabilities?: string[]; businessUnits?: string[] } = {}): void {
    const { protocolVersion = PROTOCOL_VERSION, capabilities = [], businessUnits = ["raw-test"] } = opts;
    this.send(0n, { case: "hello", value: { connectorId, version: "raw-test", capabilities, businessUnits, protocolVersion, maxInFlightPerBusinessUnit: 1 } });
  }

  /** Waits for a frame matching `pred`, the close of the socket, or the timeout, whichever comes first. */
  async until(pred: (f: Frame) => boolean, timeoutMs = 5_000): Promise<Frame | undefined> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const hit = this.frames.find(pred);
      if (hit) return hit;
      if (this.closed) return undefined;
      await new Promise((r) => setTimeout(r, 10));
    }
    return undefined;
  }

  async waitClosed(timeoutMs = 5_000): Promise<{ code: number; reason: string } | undefined> {
    const end = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }

  close(): void {
    this.ws.terminate();
  }
}
