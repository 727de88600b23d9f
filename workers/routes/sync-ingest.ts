import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { INGEST_HEADERS } from "../../proto/tunnel.ts";
import { AppError, badRequest } from "../errors.ts";
import { authenticateConnector } from "../lib/connector-auth.ts";
import { ingestBatch } from "../sync/ingest.ts";
import type { AppEnv } from "../types.ts";

/** A batch of 1,000 articles with 20 attributes each is ~1.5 MB of JSON; the connector splits at 4 MiB. */
const INGEST_MAX_BYTES = 8 * 1024 * 1024;

const tooLarge = () => {
  throw new AppError(413, "payload_too_large", `A sync batch may have at most ${INGEST_MAX_BYTES} bytes`);
};

/**
 * `POST /v1/connector/sync/ingest`: one batch of the tenant's running sync stream, posted by its
 * connector (proto StreamIngest) and written with its checkpoint (workers/sync/ingest.ts).
 */
export const syncIngestRoutes = new Hono<AppEnv>().post("/ingest", bodyLimit({ maxSize: INGEST_MAX_BYTES, onError: tooLarge }), async (c) => {
  const principal = await authenticateConnector(c.var.db(), c.req.header("authorization"));
  const stream = c.req.header(INGEST_HEADERS.stream) ?? "";
  const seqText = c.req.header(INGEST_HEADERS.seq) ?? "";
  if (!/^[A-Za-z0-9-]{8,64}$/.test(stream)) throw badRequest(`Header ${INGEST_HEADERS.stream} must name the sync stream (8-64 letters, digits, '-')`);
  if (!/^\d{1,9}$/.test(seqText)) throw badRequest(`Header ${INGEST_HEADERS.seq} must be the batch number (0, 1, 2, ...)`);
  let rows: unknown;
  try {
    rows = await c.req.json();
  } catch {
    throw new AppError(400, "malformed_json", "A sync batch must be a JSON array of change rows");
  }
  if (!Array.isArray(rows) || rows.length === 0) throw badRequest("A sync batch must be a non-empty JSON array of change rows");
  const answer = await ingestBatch(c.var.pool(), principal.tenantId, stream, Number(seqText), rows);
  c.var.log("info", "sync batch ingested", { tenantId: principal.tenantId, connectorId: principal.connectorId, stream, ...answer });
  return c.json(answer);
});
