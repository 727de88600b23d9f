import { opsView, serveOpsView } from "./ops-views.ts";
import { ringOf } from "./ring-lookup.ts";
import { DEFAULT_RING, type Ring, isRing, ringService } from "./rings.ts";
import { tenantOf } from "./tenant-of.ts";

/** Admin tooling (the rollout CLI moving a tenant) may address one ring directly. */
export const RING_OVERRIDE_HEADER = "x-b2x-target-ring";
/** Every response says which ring answered. */
export const RING_HEADER = "x-b2x-ring";

/**
 * Forwards the request unchanged (method, headers, body, WebSocket upgrade) to the ring of its
 * tenant over a service binding. The ring Worker does all authentication; the override header
 * is honoured only on admin paths, whose ring Worker requires the admin token anyway. The ops
 * views covering every tenant (/metrics, the ops overview) go to all rings and are merged,
 * unless the override names one ring.
 */
export async function routeToRing(request: Request, env: RouterEnv): Promise<Response> {
  const view = opsView(request);
  if (view && !isRing(request.headers.get(RING_OVERRIDE_HEADER))) return serveOpsView(request, env, view);
  let ring: Ring;
  try {
    ring = await pickRing(request, env);
  } catch (err) {
    // KV unreachable: the default ring is still the best guess (its Worker refuses what is not its own).
    console.error(JSON.stringify({ level: "error", msg: "ring lookup failed; using the default ring", error: String(err) }));
    ring = DEFAULT_RING;
  }
  let response: Response;
  try {
    response = await ringService(env, ring).fetch(request);
  } catch (err) {
    return unavailable(request, ring, err);
  }
  return withRing(response, ring);
}

async function pickRing(request: Request, env: RouterEnv): Promise<Ring> {
  const override = request.headers.get(RING_OVERRIDE_HEADER);
  const path = new URL(request.url).pathname;
  if (override !== null && (path.startsWith("/v1/admin/") || opsView(request))) {
    if (isRing(override)) return override;
  }
  const tenantId = tenantOf(request);
  const cacheMs = Number(env.RING_CACHE_MS);
  return tenantId ? ringOf(env.TENANT_RINGS, tenantId, Number.isFinite(cacheMs) && cacheMs >= 0 ? cacheMs : 10_000) : DEFAULT_RING;
}

/** The ring's response with `x-b2x-ring` added (a 101 keeps its WebSocket). */
function withRing(response: Response, ring: Ring): Response {
  const headers = new Headers(response.headers);
  headers.set(RING_HEADER, ring);
  if (response.webSocket) return new Response(null, { status: response.status, statusText: response.statusText, headers, webSocket: response.webSocket });
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** The ring's script could not be reached: the contract's error envelope, retryable. */
function unavailable(request: Request, ring: Ring, err: unknown): Response {
  const requestId = request.headers.get("x-request-id") ?? crypto.randomUUID();
  console.error(JSON.stringify({ level: "error", msg: "ring unreachable", ring, requestId, error: String(err) }));
  const body = { error: { code: "ring_unavailable", message: `The '${ring}' ring did not answer; retry shortly`, requestId } };
  return Response.json(body, { status: 503, headers: { "retry-after": "5", "x-request-id": requestId, [RING_HEADER]: ring } });
}
