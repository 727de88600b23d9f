import { z } from "zod";

/**
 * The body of `POST /v1/orders` (and the Connect `CreateOrder`): what a storefront may say about
 * an order. The customer is never in it (it comes from the customer token). Limits are at or
 * below what the connector's `erp.order.create` accepts, so a valid request is never refused
 * there for its shape.
 */
export const MAX_ORDER_LINES = 1000;

export const orderLineSchema = z
  .object({
    articleId: z.string().min(1).max(64),
    quantity: z.number().positive().max(1e9),
  })
  .strict();

/** A delivery address as the ERP's Lieferanschrift needs it; strings only (the connector's shape). */
export const deliveryAddressSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    name2: z.string().trim().max(200).optional(),
    street: z.string().trim().min(1).max(200),
    postalCode: z.string().trim().min(1).max(20),
    city: z.string().trim().min(1).max(100),
    country: z.string().regex(/^[A-Z]{2}$/, "ISO 3166-1 alpha-2 country code, e.g. DE"),
    contact: z.string().trim().max(200).optional(),
    phone: z.string().trim().max(50).optional(),
  })
  .strict();

export const createOrderSchema = z
  .object({
    lines: z.array(orderLineSchema).min(1).max(MAX_ORDER_LINES),
    deliveryAddress: deliveryAddressSchema,
    /** The customer's own reference (their purchase order number). */
    customerReference: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

export type OrderRequest = z.output<typeof createOrderSchema>;
export type DeliveryAddress = z.output<typeof deliveryAddressSchema>;

/**
 * `Idempotency-Key` (IETF httpapi-idempotency-key-header; Stripe's semantics): a client-chosen
 * unique string. Accepted bare or as a structured-field string ("..."); visible ASCII only, so
 * it is harmless to store and log.
 */
export const idempotencyKeySchema = z
  .string()
  .transform((s) => s.trim().replace(/^"(.*)"$/, "$1"))
  .pipe(z.string().regex(/^[\x21-\x7e]{1,255}$/, "1-255 visible ASCII characters"));
