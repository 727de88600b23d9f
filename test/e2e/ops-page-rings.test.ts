import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Overview, overviewSchema } from "../../workers/ops/overview-schema.ts";
import { hasChromium, openPage } from "./chromium.ts";
import { adminHttp } from "./client.ts";

/**
 * Behind the router, /ops comes from the stable ring and /v1/admin/overview is the rings' merge
 * (test/rollout/ops-views.test.ts proves the merge). The local stack is one "dev" script, so
 * here the real page, login and overview of the stack are used, and only the overview's ring
 * list is given the shape the router produces with one ring down, to check the page shows it.
 */
describe.skipIf(!hasChromium)("ops page with the router's merged overview", () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ({ browser, page } = await openPage(1400, 700));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  const text = (selector: string) => page.$eval(selector, (e) => (e as unknown as { innerText: string }).innerText.trim());

  it("shows each ring's Worker version and warns which ring's tenants are missing", async () => {
    const tenantId = `ops-rings-${Date.now().toString(36)}`;
    expect((await adminHttp("/tenants", { method: "POST", json: { tenantId, name: tenantId, rolloutRing: "canary" } })).status).toBe(201);
    const real = overviewSchema.parse((await adminHttp("/overview")).body);
    expect(real.rings.map((r) => r.ring)).toEqual(["dev"]);
    const merged: Overview = {
      ...real,
      rings: [
        { ring: "canary", ok: true, worker: { ...real.worker, versionTag: "build-2" }, error: null },
        { ring: "early", ok: false, worker: null, error: "HTTP 503 database_unavailable" },
        { ring: "stable", ok: true, worker: { ...real.worker, versionTag: "build-1" }, error: null },
      ],
    };
    await page.setRequestInterception(true);
    page.on("request", (req) => {
      if (new URL(req.url()).pathname === "/v1/admin/overview") void req.respond({ status: 200, contentType: "application/json", body: JSON.stringify(merged) });
      else void req.continue();
    });
    await page.goto(`${inject("baseUrl")}/ops`);
    await page.type("input[name=name]", "e2e-rings");
    await page.type("input[name=token]", inject("adminToken"));
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    await page.waitForSelector("body[data-loaded=true]", { timeout: 15_000 });
    expect(await text("#worker-version")).toBe("Worker versions per ring:");
    expect(await text('#rings [data-ring="canary"]')).toBe("canary build-2");
    expect(await text('#rings [data-ring="stable"]')).toBe("stable build-1");
    expect(await text('#rings [data-ring="early"]')).toBe("early no answer");
    expect(await text("#partial")).toBe("Partial view: no answer from early (HTTP 503 database_unavailable); its tenants are missing.");
    // The tenants the merge carries are shown with their ring.
    expect(await text(`#tenants tr[data-tenant="${tenantId}"] [data-field=ring]`)).toBe("canary");
    mkdirSync(join(process.cwd(), ".data", "artifacts"), { recursive: true });
    await page.screenshot({ path: join(process.cwd(), ".data", "artifacts", "ops-rings.png") });
  });
});
