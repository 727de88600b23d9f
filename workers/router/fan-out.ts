import { DEFAULT_RING, RINGS, type Ring, ringService } from "./rings.ts";

/** A ring slower than this is reported missing rather than holding up the scrape (Prometheus' default timeout is 10 s). */
export const RING_TIMEOUT_MS = 8_000;

/** One ring's answer to a fanned-out request: its response when it answered 2xx, else why not. */
export type RingAnswer = { ring: Ring; ok: true; response: Response } | { ring: Ring; ok: false; error: string; response?: Response };

/**
 * Sends the same GET (headers as received, so the ring authenticates the caller's admin token
 * or ops cookie, plus one request id for all) to every ring at once. A ring that throws, times
 * out or answers non-2xx is reported, never thrown: one ring down must not hide the others.
 */
export function fanOut(request: Request, env: RouterEnv, requestId: string, timeoutMs = RING_TIMEOUT_MS): Promise<RingAnswer[]> {
  const headers = new Headers(request.headers);
  headers.set("x-request-id", requestId);
  return Promise.all(RINGS.map((ring) => askRing(ring, ringService(env, ring), new Request(request.url, { method: "GET", headers }), timeoutMs)));
}

async function askRing(ring: Ring, service: Fetcher, request: Request, timeoutMs: number): Promise<RingAnswer> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const response = await Promise.race([service.fetch(request), timeout]);
    if (response.ok) return { ring, ok: true, response };
    // Read once here (an unread body would hold the ring's stream open); kept for a refusal.
    const text = await response.text().catch(() => "");
    return { ring, ok: false, error: describeFailure(response.status, text), response: new Response(text, { status: response.status, headers: response.headers }) };
  } catch (err) {
    return { ring, ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** `HTTP 503 database_unavailable` from the contract's error envelope, or just the status. */
function describeFailure(status: number, text: string): string {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    if (typeof code === "string") return `HTTP ${status} ${code}`;
  } catch {
    // Not the JSON envelope (e.g. a runtime error page): the status says enough.
  }
  return `HTTP ${status}`;
}

/**
 * When no ring accepted the request and one refused it (4xx: a wrong admin token, no session),
 * that refusal is the answer: the caller's problem, not a ring outage to merge around.
 */
export function refusal(answers: readonly RingAnswer[]): Response | undefined {
  if (answers.some((a) => a.ok)) return undefined;
  const refused = (a: RingAnswer) => a.response !== undefined && a.response.status >= 400 && a.response.status < 500;
  return (answers.find((a) => a.ring === DEFAULT_RING && refused(a)) ?? answers.find(refused))?.response;
}
