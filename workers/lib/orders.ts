import type { Context } from "hono";
import type { Placed } from "../../durable-objects/orders/service.ts";
import type { OrderReceipt } from "../../durable-objects/orders/types.ts";
import { type OrderRequest, idempotencyKeySchema } from "../../schema/order-request.ts";
import { AppError, badRequest } from "../errors.ts";
import type { AppEnv } from "../types.ts";
import { unknownArticles } from "./known-articles.ts";
import { live, tenantSession } from "./live.ts";
import { toIssues } from "./validate.ts";

/** At most this many unknown articles are listed one by one in a 422. */
const MAX_LISTED = 100;

/** The `Idempotency-Key` of a create (header for REST, field or header for Connect); required. */
export function idempotencyKeyOf(raw: string | undefined): string {
  if (raw === undefined || raw === "") {
    throw new AppError(400, "idempotency_key_required", "An Idempotency-Key header is required: a new unique value per order, the same value only to retry that order");
  }
  const parsed = idempotencyKeySchema.safeParse(raw);
  if (!parsed.success) throw badRequest("Invalid Idempotency-Key", toIssues(parsed.error).map((i) => ({ ...i, path: "Idempotency-Key" })));
  return parsed.data;
}

/**
 * Places a validated order for the token's customer. Articles must be in the tenant's synced
 * catalog; when some are not, a stored answer for the same key and body still wins (a replay
 * must not depend on today's catalog), otherwise it is a 422 naming them. Validation failures
 * are not stored against the key (Stripe's rule): the client may fix the body and reuse it.
 */
export async function placeOrder(c: Context<AppEnv>, customerId: string, idempotencyKey: string, request: OrderRequest): Promise<Placed> {
  const { stub, ref } = tenantSession(c);
  const unknown = await unknownArticles(c.var.db(), ref.tenantId, request.lines.map((l) => l.articleId));
  if (unknown.size > 0) {
    const stored = await live(() => stub.storedOrderAnswer(ref, customerId, idempotencyKey, request));
    if (stored) return stored;
    const issues = request.lines
      .map((l, i) => ({ path: `lines.${i}.articleId`, message: `unknown article '${l.articleId}'`, id: l.articleId }))
      .filter((x) => unknown.has(x.id))
      .slice(0, MAX_LISTED)
      .map(({ path, message }) => ({ path, message }));
    const names = [...unknown].slice(0, 20).join(", ");
    throw new AppError(422, "unknown_articles", `Unknown article${unknown.size > 1 ? "s" : ""}: ${names}${unknown.size > 20 ? ", …" : ""}`, issues);
  }
  return live(() => stub.createOrder(ref, { requestId: c.var.requestId, customerId, idempotencyKey, request }));
}

/** Created 201, queued 202 (the ERP gets it later), rejected 422 with the order attached. */
export function placedStatus(receipt: OrderReceipt, headers?: Record<string, string>): 201 | 202 {
  if (receipt.status === "rejected") {
    throw new AppError(422, "order_rejected", receipt.rejectReason ?? "the ERP rejected the order", undefined, headers, { order: receipt });
  }
  return receipt.status === "created" ? 201 : 202;
}
