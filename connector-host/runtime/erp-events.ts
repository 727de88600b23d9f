import type { ErpDatabase } from "../simulator/store.ts";
import type { EdgeClient } from "./edge-client.ts";
import type { Logger } from "./log.ts";

/**
 * Watches the ERP for changes that live caches must not outlast (article and price changes,
 * stock movements, order status) and pushes them to the edge as event frames. Events missed
 * while the tunnel was down are sent after it is back (the watcher only advances on success).
 */
export function watchErpEvents(erp: ErpDatabase, client: EdgeClient, log: Logger, everyMs = 250): () => void {
  let after = erp.currentRowversion();
  const timer = setInterval(() => {
    try {
      const changed = erp.changedSince(after);
      if (changed.until === after) return;
      const sends: [string, Record<string, string[]>][] = [];
      if (changed.articles.length) sends.push(["article_changed", { articleIds: changed.articles }]);
      if (changed.stock.length) sends.push(["stock_changed", { articleIds: changed.stock }]);
      if (changed.orders.length) sends.push(["order_changed", { orderNos: changed.orders }]);
      if (sends.every(([kind, payload]) => client.sendEvent(kind, payload))) {
        after = changed.until;
        log("info", "ERP events sent", { articles: changed.articles.length, stock: changed.stock.length, orders: changed.orders.length });
      }
    } catch (err) {
      log("warn", "ERP event watcher failed", { error: String(err) });
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
