import { createMiddleware } from "hono/factory";
import { createLogger } from "../lib/log.ts";
import type { AppEnv } from "../types.ts";

/** A caller-supplied id is kept only if it is short and harmless to log and forward. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Gives every request an id that travels to responses, logs and (later) the connector. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const id = incoming && ACCEPTABLE_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", id);
  c.set("log", createLogger(c.env.LOG_LEVEL, { requestId: id }));
  c.header("x-request-id", id);
  await next();
  // Error responses are built in onError; make sure they carry the id too. A WebSocket
  // upgrade (101) comes back from the DO with immutable headers: leave it as it is.
  if (c.res.status !== 101) c.res.headers.set("x-request-id", id);
});
