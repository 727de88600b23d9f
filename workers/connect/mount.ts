import { Code, ConnectError, type ServiceImpl, createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import type { DescService } from "@bufbuild/protobuf";
import { type Context, Hono } from "hono";
import { AppError } from "../errors.ts";
import { rateLimit } from "../middleware/rate-limit.ts";
import { tenantAuth } from "../middleware/tenant-auth.ts";
import type { AppEnv } from "../types.ts";

const CODES: Record<number, Code> = {
  400: Code.InvalidArgument, 401: Code.Unauthenticated, 403: Code.PermissionDenied, 404: Code.NotFound, 409: Code.Aborted, 413: Code.InvalidArgument,
  422: Code.FailedPrecondition, 429: Code.ResourceExhausted, 502: Code.Internal, 504: Code.DeadlineExceeded,
};

/** Typed errors become Connect errors: the HTTP contract's code string leads the message. */
export function toConnect(err: unknown): ConnectError {
  if (err instanceof AppError) {
    const code = err.code === "busy" ? Code.ResourceExhausted : err.status === 503 ? Code.Unavailable : (CODES[err.status] ?? Code.Internal);
    return new ConnectError(`${err.code}: ${err.message}`, code);
  }
  if (err instanceof ConnectError) return err;
  return new ConnectError("internal error", Code.Internal);
}

export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toConnect(err);
  }
}

/**
 * Serves one Connect service (JSON and binary) behind tenant auth and rate limiting; the
 * implementation is built per request so it can use the request's tenant and customer.
 */
export function connectService<S extends DescService>(service: S, impl: (c: Context<AppEnv>) => ServiceImpl<S>): Hono<AppEnv> {
  return new Hono<AppEnv>().use(tenantAuth, rateLimit).post("/:method", async (c) => {
    const router = createConnectRouter({ grpc: false, grpcWeb: false, connect: true });
    router.service(service, impl(c));
    const path = new URL(c.req.url).pathname;
    const handler = router.handlers.find((h) => h.requestPath === path);
    if (!handler) throw new AppError(404, "not_found", `No Connect method ${path}`);
    return createFetchHandler(handler)(c.req.raw);
  });
}
