import { type RingAnswer, fanOut, refusal } from "./fan-out.ts";
import { mergeExpositions } from "./merge-metrics.ts";
import { asOverview, mergeOverviews } from "./merge-overview.ts";
import { RINGS } from "./rings.ts";

/**
 * The ops views that cover every tenant. Each ring Worker can read only its own Durable Object
 * namespace, so it reports its own tenants; the router asks all rings and merges the answers.
 */
const VIEWS: Record<string, (answers: RingAnswer[]) => Promise<Response>> = {
  "/metrics": mergedMetrics,
  "/v1/admin/overview": mergedOverview,
};

/** The merge for a GET of a fanned-out view; undefined for everything else (routed to one ring). */
export function opsView(request: Request): ((answers: RingAnswer[]) => Promise<Response>) | undefined {
  if (request.method !== "GET") return undefined;
  const path = new URL(request.url).pathname.replace(/\/+$/, "");
  return VIEWS[path];
}

/**
 * Asks every ring and merges: a ring that fails leaves its part missing and says so
 * (`b2x_ring_up 0`, `rings[].ok false`); only a refusal by every ring (bad token) is passed on.
 */
export async function serveOpsView(request: Request, env: RouterEnv, merge: (answers: RingAnswer[]) => Promise<Response>): Promise<Response> {
  const requestId = request.headers.get("x-request-id") ?? crypto.randomUUID();
  const answers = await fanOut(request, env, requestId);
  const refused = refusal(answers);
  if (!refused) {
    for (const a of answers) {
      if (!a.ok) console.error(JSON.stringify({ level: "error", msg: "ring left out of a merged ops view", ring: a.ring, path: new URL(request.url).pathname, requestId, error: a.error }));
    }
  }
  const response = refused ?? (await merge(answers));
  const headers = new Headers(response.headers);
  headers.set("x-request-id", requestId);
  headers.set("x-b2x-ring", RINGS.join(","));
  return new Response(response.body, { status: response.status, headers });
}

async function mergedMetrics(answers: RingAnswer[]): Promise<Response> {
  const parts = await Promise.all(answers.map(async (a) => (a.ok ? { ring: a.ring, text: await a.response.text() } : { ring: a.ring, text: null, error: a.error })));
  return new Response(mergeExpositions(parts), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" } });
}

async function mergedOverview(answers: RingAnswer[]): Promise<Response> {
  const parts = await Promise.all(
    answers.map(async (a) => {
      if (!a.ok) return { ring: a.ring, overview: null, error: a.error };
      const overview = asOverview(await a.response.json().catch(() => null));
      return overview ? { ring: a.ring, overview } : { ring: a.ring, overview: null, error: "not an overview document" };
    }),
  );
  return Response.json(mergeOverviews(parts), { headers: { "cache-control": "no-store" } });
}
