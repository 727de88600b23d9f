import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { INGEST_HEADERS } from "../../proto/tunnel.ts";
import { IngestPoster } from "./ingest-poster.ts";

// A stand-in for the edge's ingest route with its contract (workers/sync/ingest.ts): commits
// batch `committed + 1` only, answers a repeat as duplicate and a gap as out of order.
interface Posted {
  seq: number;
  rows: number;
  stream: string;
}

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** `answer` may force a status and body, or only delay the route's own answer. */
async function edge(answer: (p: Posted, state: { committed: number }) => { status?: number; body?: unknown; delayMs?: number } | undefined) {
  const posted: Posted[] = [];
  const state = { committed: -1 };
  server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    const p = { seq: Number(req.headers[INGEST_HEADERS.seq]), rows: (JSON.parse(text) as unknown[]).length, stream: String(req.headers[INGEST_HEADERS.stream]) };
    posted.push(p);
    const forced = answer(p, state);
    if (forced?.delayMs) await new Promise((r) => setTimeout(r, forced.delayMs));
    let status = forced?.status ?? 200;
    let body = forced?.body;
    if (forced?.status === undefined) {
      if (p.seq <= state.committed) body = { status: "duplicate" };
      else if (p.seq > state.committed + 1) [status, body] = [409, { error: { code: "sync_batch_out_of_order", message: "later" } }];
      else [state.committed, body] = [p.seq, { status: "committed" }];
    }
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1/connector/sync/ingest`, posted, state };
}

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ rowversion: i + 1, key: `A${i}` }));

describe("IngestPoster", () => {
  it("gathers the ERP's small pages into posts of rowsPerPost rows, and one that overtook the batch before is posted again after it", async () => {
    // Batch 0 is slow, so batch 1 (two posts go at once) reaches the edge first.
    const e = await edge((p, state) => (p.seq === 0 && state.committed < 0 ? { delayMs: 100 } : undefined));
    const acks: number[] = [];
    const poster = new IngestPoster({ url: e.url, streamId: "s-1234567", token: "t", rowsPerPost: 100 }, new AbortController().signal, (batches) => acks.push(batches));
    for (let page = 0; page < 5; page++) await poster.add(rows(64));
    expect(await poster.finish()).toBe(320);
    expect(e.posted.map((p) => p.seq).slice(0, 3)).toEqual([0, 1, 1]);
    expect(new Map(e.posted.map((p) => [p.seq, p.rows]))).toEqual(new Map([[0, 100], [1, 100], [2, 100], [3, 20]]));
    expect(acks).toEqual([1, 2, 3, 4]);
    expect(new Set(e.posted.map((p) => p.stream))).toEqual(new Set(["s-1234567"]));
  });

  it("posts a batch again after a 503 and ends the stream with the edge's code on a refusal", async () => {
    let failures = 1;
    const e = await edge((p) => {
      if (p.seq === 0 && failures-- > 0) return { status: 503, body: { error: { code: "database_unavailable", message: "down" } } };
      if (p.seq === 1) return { status: 422, body: { error: { code: "sync_batch_rejected", message: "invalid articles row #3 (key 'A9'): name" } } };
      return undefined;
    });
    const poster = new IngestPoster({ url: e.url, streamId: "s-1234567", token: "t", rowsPerPost: 10 }, new AbortController().signal, () => {});
    const run = (async () => {
      await poster.add(rows(20));
      return poster.finish();
    })();
    await expect(run).rejects.toMatchObject({ code: "sync_batch_rejected", message: expect.stringContaining("key 'A9'") });
    expect(e.posted.filter((p) => p.seq === 0)).toHaveLength(2);
  });
});
