import { RolloutError } from "./errors.ts";
import type { Ring } from "./rings.ts";

/** The admin API through the router; `ring` addresses one ring's Worker directly. Runtime-neutral (Node or workerd). */
export interface AdminClient {
  call<T>(method: string, path: string, opts?: { ring?: Ring; body?: unknown }): Promise<T>;
}

export type FetchLike = (request: Request) => Promise<Response>;

export function adminClient(baseUrl: string, token: string, fetchFn: FetchLike = (r) => fetch(r)): AdminClient {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    async call<T>(method: string, path: string, opts: { ring?: Ring; body?: unknown } = {}): Promise<T> {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (opts.ring) headers["x-b2x-target-ring"] = opts.ring;
      if (opts.body !== undefined) headers["content-type"] = "application/json";
      const res = await fetchFn(new Request(`${base}/v1/admin${path}`, { method, headers, ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }) }));
      const text = await res.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      if (!res.ok) {
        const e = (body as { error?: { code?: string; message?: string } } | null)?.error;
        throw new RolloutError(`${method} ${path}${opts.ring ? ` (ring ${opts.ring})` : ""} → ${res.status} ${e?.code ?? ""}: ${e?.message ?? String(text).slice(0, 200)}`);
      }
      return body as T;
    },
  };
}
