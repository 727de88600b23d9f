import { Hono } from "hono";
import { z } from "zod";
import { createOrderSchema } from "../../schema/order-request.ts";
import { live, tenantSession } from "../lib/live.ts";
import { idempotencyKeyOf, placeOrder, placedStatus } from "../lib/orders.ts";
import { jsonBody, pathParams } from "../lib/validate.ts";
import { customerAuth } from "../middleware/customer-auth.ts";
import type { AppEnv } from "../types.ts";

export const orderIdParams = z.object({ orderId: z.string().min(1).max(128) });

/**
 * `POST /v1/orders`: an order for the token's customer, created in the ERP exactly once per
 * `Idempotency-Key` (replays answer the stored result with `Idempotent-Replayed: true`).
 * `GET /v1/orders/:orderId`: its status, by the gateway's id or the ERP's order number.
 */
export const orderRoutes = new Hono<AppEnv>()
  .post("/", customerAuth, async (c) => {
    const key = idempotencyKeyOf(c.req.header("idempotency-key"));
    const request = await jsonBody(c, createOrderSchema);
    const { receipt, replayed } = await placeOrder(c, c.var.customerId, key, request);
    const headers: Record<string, string> = { location: `/v1/orders/${receipt.orderId}`, ...(replayed && { "idempotent-replayed": "true" }) };
    return c.json(receipt, placedStatus(receipt, headers), headers);
  })
  .get("/:orderId", customerAuth, async (c) => {
    const { orderId } = pathParams(c, orderIdParams);
    const { stub, ref } = tenantSession(c);
    return c.json(await live(() => stub.order(ref, c.var.origin, c.var.customerId, orderId)));
  });
