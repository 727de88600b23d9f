import type { CallOrigin } from "../calls/origin.ts";

/**
 * Coalescing of live lookups. Requests for one scope (a customer's prices, or stock) join the
 * batch that has not been sent yet, so concurrent lookups become one bulk ERP call; a lookup of
 * an item already in flight waits for that call instead of asking again.
 */
interface OpenBatch<Item, Result> {
  items: Map<string, Item>;
  result: Promise<Map<string, Result>>;
}

export class Coalescer<Item, Result> {
  private readonly open = new Map<string, OpenBatch<Item, Result>>();
  private readonly inFlight = new Map<string, Promise<Map<string, Result>>>();
  calls = 0;
  sharedItems = 0;

  constructor(
    private readonly keyOf: (item: Item) => string,
    /** Sends a batch; `origin` is that of the lookup that opened it (for the connector's logs). */
    private readonly send: (scope: string, take: () => Item[], origin: CallOrigin) => Promise<Map<string, Result>>,
    private readonly maxBatch: number,
  ) {}

  /** Results for `items` (keyed by item key); missing keys mean the ERP had no answer. */
  async lookup(scope: string, items: Item[], origin: CallOrigin): Promise<Map<string, Result>> {
    const waits: Promise<Map<string, Result>>[] = [];
    const keys = new Set<string>();
    for (const item of items) {
      const key = this.keyOf(item);
      if (keys.has(key)) continue;
      keys.add(key);
      const flying = this.inFlight.get(`${scope}\u0000${key}`);
      if (flying) {
        this.sharedItems++;
        waits.push(flying);
        continue;
      }
      waits.push(this.join(scope, key, item, origin));
    }
    const out = new Map<string, Result>();
    for (const m of await Promise.all([...new Set(waits)])) for (const [k, v] of m) if (keys.has(k)) out.set(k, v);
    return out;
  }

  private join(scope: string, key: string, item: Item, origin: CallOrigin): Promise<Map<string, Result>> {
    let batch = this.open.get(scope);
    if (batch && batch.items.has(key)) {
      this.sharedItems++;
      return batch.result;
    }
    if (!batch || batch.items.size >= this.maxBatch) batch = this.start(scope, origin);
    batch.items.set(key, item);
    this.inFlight.set(`${scope}\u0000${key}`, batch.result);
    return batch.result;
  }

  private start(scope: string, origin: CallOrigin): OpenBatch<Item, Result> {
    const items = new Map<string, Item>();
    const take = () => {
      // The batch closes when it is sent: later lookups open a new one.
      if (this.open.get(scope)?.items === items) this.open.delete(scope);
      return [...items.values()];
    };
    this.calls++;
    const result = this.send(scope, take, origin).finally(() => {
      for (const key of items.keys()) {
        const k = `${scope}\u0000${key}`;
        if (this.inFlight.get(k) === result) this.inFlight.delete(k);
      }
      if (this.open.get(scope)?.items === items) this.open.delete(scope);
    });
    const batch = { items, result };
    this.open.set(scope, batch);
    return batch;
  }
}
