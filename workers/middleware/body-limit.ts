import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { INGEST_PATH } from "../../proto/tunnel.ts";
import { AppError, toErrorResponse } from "../errors.ts";
import type { AppEnv } from "../types.ts";

const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * Reads and drops what the client is still sending, up to `max` bytes, before the 413 goes out:
 * answering while an upload is in flight lets the connection be torn down under the client
 * (seen locally as wrangler's proxy failing the request). A body being read by the limit's own
 * stream (no declared length) is locked and left alone; beyond `max` the rest is cut off.
 */
async function drain(body: ReadableStream<Uint8Array> | null, max: number): Promise<void> {
  if (!body || body.locked) return;
  const reader = body.getReader();
  try {
    for (let read = 0; read <= max; ) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
    await reader.cancel();
  } catch {
    /* the client went away: nothing left to drain */
  }
}

/**
 * Rejects bodies over MAX_BODY_BYTES with 413 before any handler reads them. The response is
 * built here rather than thrown: for streamed bodies hono calls this from inside the stream.
 */
export const bodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  // A connector release upload is bounded by the size its signed manifest declares instead.
  if (c.req.method === "POST" && c.req.path === "/v1/admin/connector-releases") return next();
  // A sync batch has its own, larger limit on its route.
  if (c.req.method === "POST" && c.req.path === INGEST_PATH) return next();
  const configured = Number(c.env.MAX_BODY_BYTES);
  const maxSize = Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_MAX_BYTES;
  const limit = honoBodyLimit({
    maxSize,
    onError: async (ctx) => {
      await drain(ctx.req.raw.body, maxSize * 4);
      const err = new AppError(413, "payload_too_large", `Request body exceeds ${maxSize} bytes`);
      const { status, body } = toErrorResponse(err, ctx.get("requestId"));
      return ctx.json(body, status);
    },
  });
  return limit(c, next);
});
