import { inject } from "vitest";

/** A test file that starts its own stack (e.g. with Postgres behind a fault proxy) points the client at it. */
let own: { baseUrl: string; adminToken: string } | undefined;
export function useStack(stack: { baseUrl: string; adminToken: string } | undefined): void {
  own = stack;
}

/** Minimal HTTP client for the running local stack (wrangler dev on a free port). */
export const baseUrl = () => own?.baseUrl ?? inject("baseUrl");

export async function http(path: string, init: RequestInit & { json?: unknown; token?: string } = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  const res = await fetch(`${baseUrl()}${path}`, { ...init, headers, body });
  const text = await res.text();
  // `any` on purpose: e2e tests assert on response shapes they read field by field.
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export const adminHttp = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  http(`/v1/admin${path}`, { ...init, token: own?.adminToken ?? inject("adminToken") });
