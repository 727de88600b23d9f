import { Hono } from "hono";
import { z } from "zod";
import { customerAuth } from "../middleware/customer-auth.ts";
import { live, tenantSession } from "../lib/live.ts";
import { jsonBody } from "../lib/validate.ts";
import type { AppEnv } from "../types.ts";

export const MAX_LIVE_ITEMS = 1000;
const articleId = z.string().min(1).max(64);
export const pricesBody = z
  .object({ items: z.array(z.object({ articleId, quantity: z.number().positive().max(1e9).default(1) }).strict()).min(1).max(MAX_LIVE_ITEMS) })
  .strict();
export const stockBody = z.object({ articleIds: z.array(articleId).min(1).max(MAX_LIVE_ITEMS) }).strict();

/** Live ERP data through the tenant's TenantSession: prices, stock, the customer (orders: orders.ts). */
export const liveRoutes = new Hono<AppEnv>()
  .post("/prices", customerAuth, async (c) => {
    const { items } = await jsonBody(c, pricesBody);
    const { stub, ref } = tenantSession(c);
    const answers = await live(() => stub.prices(ref, c.var.origin, c.var.customerId, items));
    return c.json({ customerId: c.var.customerId, items: items.map((i, k) => ({ articleId: i.articleId, quantity: i.quantity, ...answers[k] })) });
  })
  .post("/stock", async (c) => {
    const { articleIds } = await jsonBody(c, stockBody);
    const { stub, ref } = tenantSession(c);
    const answers = await live(() => stub.stock(ref, c.var.origin, articleIds));
    return c.json({ items: articleIds.map((id, k) => ({ articleId: id, ...answers[k] })) });
  })
  .get("/customers/me", customerAuth, async (c) => {
    const { stub, ref } = tenantSession(c);
    return c.json(await live(() => stub.customer(ref, c.var.origin, c.var.customerId)));
  });
