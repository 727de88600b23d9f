import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { type Frame, FrameSchema } from "./gen/b2x/tunnel/v1/tunnel_pb.ts";

export { type Frame, FrameSchema, Priority } from "./gen/b2x/tunnel/v1/tunnel_pb.ts";
export type FrameBody = Frame["body"];
/** A frame body as written (plain objects, no message type names needed). */
export type FrameBodyInit = NonNullable<MessageInitShape<typeof FrameSchema>["body"]>;
export type FrameCase = NonNullable<FrameBody["case"]>;

/** Largest frame either side accepts; a stream chunk is kept well below it. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
export const PROTOCOL_VERSION = 1;

/** Where a connector posts the batches of an ingest stream (Call.ingest), and its headers. */
export const INGEST_PATH = "/v1/connector/sync/ingest";
export const INGEST_HEADERS = { stream: "x-b2x-sync-stream", seq: "x-b2x-sync-seq" } as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeFrame(callId: bigint, body: FrameBodyInit, epoch = 0n): Uint8Array {
  return toBinary(FrameSchema, create(FrameSchema, { callId, epoch, body }));
}

/** Decodes a frame; throws on bytes that are not a valid Frame or are too large. */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.byteLength > MAX_FRAME_BYTES) throw new Error(`frame of ${bytes.byteLength} bytes exceeds ${MAX_FRAME_BYTES}`);
  return fromBinary(FrameSchema, bytes);
}

export const jsonBytes = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

export function parseJsonBytes(bytes: Uint8Array): unknown {
  return bytes.byteLength === 0 ? undefined : JSON.parse(decoder.decode(bytes));
}
