import { inject } from "vitest";
import { FaultProxy } from "../../support/fault-proxy.ts";
import { http } from "../client.ts";
import type { Digest } from "../ground-truth.ts";
import { waitUntil } from "../tenant-fixture.ts";

/** `B2X_SOAK=1` runs every scenario longer (more rounds, more orders); CI stays bounded. */
export const SOAK = process.env.B2X_SOAK === "1";
export const scaled = (ci: number, soak: number): number => (SOAK ? soak : ci);

/** A fault proxy in front of the shared stack's Worker: the connector's edge URL points at it. */
export async function edgeProxy(seed = 1): Promise<{ proxy: FaultProxy; edgeUrl: string }> {
  const target = new URL(inject("baseUrl"));
  const proxy = await FaultProxy.start({ target: { host: target.hostname, port: Number(target.port) }, seed });
  return { proxy, edgeUrl: `http://127.0.0.1:${proxy.port}` };
}

// `any` body on purpose, as in client.ts: scenarios read response shapes field by field.
export interface Bounded {
  hung: boolean;
  ms: number;
  /** 0 when hung or when the connection failed. */
  status: number;
  headers: Headers;
  body: any;
}

/**
 * A request with a client-side limit: if no answer comes within `limitMs` it counts as hung
 * (the promise "a caller never hangs" is what the scenarios measure). A network error is an
 * answer too (status 0), not a hang.
 */
export async function bounded(path: string, init: Parameters<typeof http>[1], limitMs: number): Promise<Bounded> {
  const started = performance.now();
  try {
    const r = await http(path, { ...init, signal: AbortSignal.timeout(limitMs) });
    return { hung: false, ms: performance.now() - started, ...r };
  } catch (err) {
    const ms = performance.now() - started;
    if ((err as Error).name === "TimeoutError") return { hung: true, ms, status: 0, headers: new Headers(), body: undefined };
    return { hung: false, ms, status: 0, headers: new Headers(), body: { error: { code: "network", message: String(err) } } };
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until a sync run succeeds; a failed run ends the wait at once with its errors. */
export async function runSucceeded(run: () => Promise<{ status?: string; errors?: unknown } | undefined>, timeoutMs = 240_000): Promise<void> {
  await waitUntil(async () => {
    const r = await run();
    if (r?.status === "failed") throw new Error(`run failed: ${JSON.stringify(r.errors)}`);
    return r?.status === "succeeded";
  }, timeoutMs, "resumed run");
}

/**
 * Rows that differ between Postgres and the ERP, per table: 0 when every table's content hash
 * matches; otherwise at least 1 per differing table (the row-count difference where there is one).
 */
export function syncGaps(pg: Digest, erp: Digest): number {
  let gaps = 0;
  for (const table of Object.keys(erp) as (keyof Digest)[]) {
    if (pg[table].hash !== erp[table].hash) gaps += Math.max(1, Math.abs(pg[table].rows - erp[table].rows));
  }
  return gaps;
}

/** Orders that never reached the ERP, and ERP orders beyond one per accepted order. */
export function orderLedger(accepted: Iterable<string>, erpRefs: string[]): { lost: number; duplicated: number } {
  const ids = new Set(accepted);
  const seen = new Map<string, number>();
  for (const ref of erpRefs) seen.set(ref, (seen.get(ref) ?? 0) + 1);
  let lost = 0;
  for (const id of ids) if (!seen.has(`B2X-${id}`)) lost++;
  let duplicated = 0;
  for (const [ref, n] of seen) duplicated += ids.has(ref.replace(/^B2X-/, "")) ? n - 1 : n;
  return { lost, duplicated };
}
