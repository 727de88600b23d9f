import type { Context } from "hono";
import type { z } from "zod";
import { AppError, type ErrorIssue, badRequest } from "../errors.ts";

/** zod issues as `{ path: "items.3.quantity", message }`, the shape clients see. */
export function toIssues(error: z.ZodError): ErrorIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
}

/**
 * Where a NUL character hides in a value (strings and object keys, any depth), or null. Postgres
 * text cannot hold NUL: such input would fail deep in a query as a 500, so it is refused here.
 */
function nulPath(value: unknown, path: string[] = [], depth = 0): string[] | null {
  if (typeof value === "string") return value.includes("\u0000") ? path : null;
  if (value === null || typeof value !== "object" || depth > 64) return null;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes("\u0000")) return [...path, "(key)"];
    const found = nulPath(v, [...path, k], depth + 1);
    if (found) return found;
  }
  return null;
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const nul = nulPath(value);
  if (nul) throw badRequest(`Invalid ${what}`, [{ path: nul.join(".") || "(root)", message: "must not contain a NUL character" }]);
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(`Invalid ${what}`, toIssues(result.error));
  return result.data;
}

/** Reads and validates a JSON body: 415 if not JSON, 400 malformed_json, 400 with issue paths. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new AppError(415, "unsupported_media_type", "Content-Type must be application/json");
  }
  const text = await c.req.text();
  let value: unknown;
  try {
    value = text.length === 0 ? undefined : JSON.parse(text);
  } catch {
    throw new AppError(400, "malformed_json", "Request body is not valid JSON");
  }
  return parseWith(schema, value, "request body");
}

export const queryParams = <S extends z.ZodType>(c: Context, schema: S): z.output<S> =>
  parseWith(schema, c.req.query(), "query parameters");

export const pathParams = <S extends z.ZodType>(c: Context, schema: S): z.output<S> =>
  parseWith(schema, c.req.param(), "path parameters");
