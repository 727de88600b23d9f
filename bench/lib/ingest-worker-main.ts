// The ingest Worker (sync batches posted by the connector) in a Node process of its own, spawned
// by bench-edge.ts. Two Miniflare instances in one Node process stall each other's workerd: with
// a second, idle instance beside it, the first stopped answering for 0.1-1.4 s at a time (live
// prices at 100/s, 20k articles; none without the second instance). On Cloudflare the ingest
// route runs on other machines, so here it gets its own process and its own Miniflare.
// Usage: ingest-worker-main.ts <options JSON>; prints {"baseUrl": ...} once ready, stops on SIGTERM.
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { type DirectWorkerOptions, startDirectWorker } from "./direct-worker.ts";

const opts = JSON.parse(process.argv[2] ?? "null") as Omit<DirectWorkerOptions, "onLog"> | null;
if (!opts) {
  console.error("usage: ingest-worker-main.ts <options JSON>");
  process.exit(2);
}
// Its log lines (an access line per batch) go to a file: nothing the bench reads comes from it.
const log = createWriteStream(join(opts.dir, "worker.log"), { flags: "a" });
const worker = await startDirectWorker({ ...opts, onLog: (line) => log.write(line + "\n") });
console.log(JSON.stringify({ baseUrl: worker.baseUrl }));
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void worker.stop().then(() => process.exit(0)));
