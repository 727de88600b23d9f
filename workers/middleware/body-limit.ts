import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { AppError, toErrorResponse } from "../errors.ts";
import type { AppEnv } from "../types.ts";

const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * Rejects bodies over MAX_BODY_BYTES with 413 before any handler reads them. The response is
 * built here rather than thrown: for streamed bodies hono calls this from inside the stream.
 */
export const bodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  // A connector release upload is bounded by the size its signed manifest declares instead.
  if (c.req.method === "POST" && c.req.path === "/v1/admin/connector-releases") return next();
  const configured = Number(c.env.MAX_BODY_BYTES);
  const maxSize = Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_MAX_BYTES;
  const limit = honoBodyLimit({
    maxSize,
    onError: (ctx) => {
      const err = new AppError(413, "payload_too_large", `Request body exceeds ${maxSize} bytes`);
      const { status, body } = toErrorResponse(err, ctx.get("requestId"));
      return ctx.json(body, status);
    },
  });
  return limit(c, next);
});
