import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { afterEach, describe, expect, inject, it } from "vitest";
import { ItemStatus, LiveService } from "../../proto/gen/b2x/storefront/v1/live_pb.ts";
import { cleanupFixtures, liveTenant } from "./tenant-fixture.ts";

afterEach(cleanupFixtures);

function client(apiKey: string, customerToken?: string, useBinaryFormat = false) {
  const transport = createConnectTransport({
    baseUrl: inject("baseUrl"),
    useBinaryFormat,
    interceptors: [
      (next) => (req) => {
        req.header.set("authorization", `Bearer ${apiKey}`);
        if (customerToken) req.header.set("x-customer-token", customerToken);
        return next(req);
      },
    ],
  });
  return createClient(LiveService, transport);
}

describe("b2x.storefront.v1.LiveService over Connect", () => {
  it("answers the same prices, stock and customer as REST, in JSON and binary", async () => {
    const t = await liveTenant();
    await t.startConnector();
    const token = await t.customerToken("K10006");
    const items = [{ articleId: "1000003", quantity: 12 }, { articleId: "nope", quantity: 1 }];
    const rest = await t.post("/v1/prices", { items }, token);
    for (const binary of [false, true]) {
      const live = client(t.apiKey, token, binary);
      const prices = await live.getPrices({ items });
      expect(prices.customerId).toBe("K10006");
      expect(prices.items[0]).toMatchObject({ articleId: "1000003", status: ItemStatus.OK, unitPrice: rest.body.items[0].unitPrice, listPrice: rest.body.items[0].listPrice });
      expect(prices.items[1]!.status).toBe(ItemStatus.NOT_FOUND);
      const stock = await live.getStock({ articleIds: ["1000003"] });
      expect(stock.items[0]!.warehouses.map((w) => w.quantity)).toEqual(t.erp.stock("1000003")!.warehouses.map((w) => w.quantity));
      expect((await live.getCustomer({})).name).toBe(t.erp.customer("K10006")!.name);
    }
  });

  it("maps failures to Connect codes", async () => {
    const t = await liveTenant();
    const token = await t.customerToken("K10001");
    await expect(client(t.apiKey).getPrices({ items: [{ articleId: "1000001", quantity: 1 }] })).rejects.toMatchObject({ code: Code.Unauthenticated });
    const offline = await client(t.apiKey, token).getStock({ articleIds: ["1000001"] }).catch((e: unknown) => e as ConnectError);
    expect((offline as ConnectError).code).toBe(Code.Unavailable);
    expect((offline as ConnectError).rawMessage).toMatch(/^connector_offline/);
    await expect(client(t.apiKey, token).getStock({ articleIds: [] })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(client("b2x_sk_x_0123456789abcdef_" + "0".repeat(64), token).getStock({ articleIds: ["1"] })).rejects.toMatchObject({ code: Code.Unauthenticated });
  });
});
