// The ingest thread's entry outside the release bundle (development, tests): TypeScript through
// tsx. The release bundle starts itself as this thread instead (connector-host/main.ts).
import { register } from "tsx/esm/api";

register();
const { runIngestWorker } = await import("./ingest-worker.ts");
runIngestWorker();
