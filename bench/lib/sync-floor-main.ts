// The sync floor in its own process (spawned by bench/sync.ts), as a loader on another host
// would be: producing the COPY rows takes most of a core, which would otherwise stall the bench
// process's event loop and with it the live prices it times meanwhile.
// Arguments: <postgres url> <ERP database file>; output: one JSON line (FloorResult).
import { ErpDatabase } from "../../connector-host/simulator/store.ts";
import { syncFloor } from "./sync-floor.ts";

const [url, erpPath] = process.argv.slice(2);
if (!url || !erpPath) {
  console.error("usage: sync-floor-main.ts <postgres url> <ERP database file>");
  process.exit(2);
}
const erp = ErpDatabase.open(erpPath);
try {
  process.stdout.write(`${JSON.stringify(await syncFloor(url, erp))}\n`);
} finally {
  erp.close();
}
