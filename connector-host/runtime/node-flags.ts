/**
 * Node flags the connector process is started with (by the supervisor, `npm run connector`, the
 * benchmarks). V8 takes them only on the command line: since V8 freezes its flags at start-up,
 * `v8.setFlagsFromString` later changes nothing.
 *
 * `--single-threaded-gc`: each thread collects its own garbage. By default V8 hands much of it
 * to helper threads shared by the whole process, at normal priority, so the ingest thread's
 * garbage (a sync's rows, batches and JSON) was collected beside live calls after all, however
 * low that thread runs (thread-priority.ts). Measured in a full sync at 200k articles
 * (`perf sched`): the helpers ran 1.7 s in 40 s and were, after the ingest thread itself, what
 * live calls' threads most often waited behind; with the flag 0.2 s, while the ingest thread
 * took 9% longer. The main thread's own heap is small; collecting it alone costs little.
 */
export const CONNECTOR_NODE_FLAGS: readonly string[] = ["--single-threaded-gc"];

/** Whether this process was started with the flags (the ingest thread reports it at start). */
export function hasConnectorNodeFlags(execArgv: readonly string[] = process.execArgv): boolean {
  return CONNECTOR_NODE_FLAGS.every((f) => execArgv.includes(f));
}
