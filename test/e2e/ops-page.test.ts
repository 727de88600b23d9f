import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createRelease } from "../../scripts/release/create.ts";
import { DEV_KEYS_DIR, loadSigningKey } from "../../scripts/release/keys.ts";
import { readReleaseDir, uploadRelease } from "../../scripts/release/upload.ts";
import { hasChromium, openPage } from "./chromium.ts";
import { adminHttp } from "./client.ts";
import { cleanupFixtures, type LiveTenant, liveTenant, waitUntil } from "./tenant-fixture.ts";

/** A tenant's version override must name an uploaded release: build and upload a real one. */
async function uploadedRelease(version: string): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), "b2x-ops-release-"));
  try {
    const r = await createRelease({ version, entry: "connector-host/main.ts", outDir: out, key: loadSigningKey(DEV_KEYS_DIR) });
    const up = await uploadRelease(inject("baseUrl"), inject("adminToken"), readReleaseDir(r.dir));
    expect(up.status, JSON.stringify(up.body)).toBe(201);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const ARTIFACT = join(process.cwd(), ".data", "artifacts", "ops.png");

describe.skipIf(!hasChromium)("ops page in headless Chromium", () => {
  let browser: Browser;
  let page: Page;
  let t: LiveTenant;

  beforeAll(async () => {
    // A tenant in the early ring with a desired connector version, a connected connector,
    // live calls (one from the cache) and a finished sync run.
    t = await liveTenant();
    await uploadedRelease("9.9.9");
    const current = (await adminHttp(`/tenants/${t.tenantId}`)).body;
    const patched = await adminHttp(`/tenants/${t.tenantId}`, {
      method: "PATCH",
      json: { rolloutRing: "early", config: { ...current.config, connectorRegistration: { ...current.config.connectorRegistration, desiredConnectorVersion: "9.9.9" } } },
    });
    expect(patched.status).toBe(200);
    await t.startConnector();
    const token = await t.customerToken("K10005");
    for (let i = 0; i < 2; i++) expect((await t.post("/v1/prices", { items: [{ articleId: "1000004", quantity: 1 }] }, token)).status).toBe(200);
    const start = await adminHttp(`/tenants/${t.tenantId}/sync`, { method: "POST", json: { mode: "full" } });
    expect(start.status).toBe(202);
    await waitUntil(async () => (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs[0]?.status === "succeeded", 60_000, "sync run");
    ({ browser, page } = await openPage(1400, 900));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await cleanupFixtures();
  });

  // The Node tsconfig has no DOM lib: elements are typed by the one property read.
  const text = (selector: string) => page.$eval(selector, (e) => (e as unknown as { innerText: string }).innerText.trim());

  it("refuses a wrong token and shows why", async () => {
    const res = await page.goto(`${inject("baseUrl")}/ops`);
    expect(res?.status()).toBe(200);
    await page.type("input[name=name]", "mallory");
    await page.type("input[name=token]", "this-is-not-the-admin-token");
    const [answer] = await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    expect(answer?.status()).toBe(401);
    expect(await text("#login-error")).toBe("Wrong admin token.");
    expect(await page.$("#tenants")).toBeNull();
  });

  it("logs in and shows the tenant: ring, versions, connector, live figures, sync progress; refreshes itself", async () => {
    await page.goto(`${inject("baseUrl")}/ops`);
    await page.type("input[name=name]", "e2e-ops");
    await page.type("input[name=token]", inject("adminToken"));
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    const row = `#tenants tr[data-tenant="${t.tenantId}"]`;
    await page.waitForSelector(row, { timeout: 15_000 });

    // What the page shows equals what the API says.
    const overview = (await adminHttp("/overview")).body;
    const mine = overview.tenants.find((x: { tenantId: string }) => x.tenantId === t.tenantId);
    expect(await text(`${row} [data-field=tenant]`)).toBe(t.tenantId);
    expect(await text(`${row} [data-field=ring]`)).toBe("early");
    expect(await text(`${row} [data-field=connector]`)).toBe("werk-1 online");
    expect(await text(`${row} [data-field=version]`)).toBe(`${mine.connectors[0].version} (9.9.9)`);
    expect(await text(`${row} [data-field=heartbeat]`)).toMatch(/^\d+ s ago$/);
    expect(mine.live.p95Ms).toBeGreaterThan(0);
    expect(await text(`${row} [data-field=p95]`)).toMatch(/^\d+\.\d ms$/);
    // Two lookups of one price: the second came from the cache.
    expect(await text(`${row} [data-field=cache]`)).toBe("50.0 %");
    expect(await text(`${row} [data-field=errors]`)).toBe("0");

    const run = `#sync-runs tr[data-tenant="${t.tenantId}"]`;
    expect(await text(`${run} [data-field=status]`)).toBe("succeeded");
    expect(await text(`${run} [data-field=mode]`)).toBe("full");
    expect(await text(`${run} [data-field=progress]`)).toBe("100 %");
    expect(await page.$eval(`${run} .bar > span`, (e) => (e as unknown as { style: { width: string } }).style.width)).toBe("100%");
    expect(await text(`${run} [data-field=rows]`)).toMatch(/^[\d,]+ \/ [\d,]+$/);
    expect(await text("#signed-in")).toMatch(/^signed in as e2e-ops \(token:[0-9a-f]{12}\)$/);
    expect(await text("#worker-version")).toMatch(/^Worker \S+/);

    // The failed login above is among the recent errors (from the audit log).
    expect(await text("#errors")).toContain("/ops/login → 401");

    // It refreshes by itself: the update time changes without a reload.
    const first = await text("#updated");
    await page.waitForFunction(`document.querySelector("#updated").textContent !== ${JSON.stringify(first)}`, { timeout: 20_000 });

    mkdirSync(join(process.cwd(), ".data", "artifacts"), { recursive: true });
    await page.screenshot({ path: ARTIFACT, fullPage: true });
    expect(statSync(ARTIFACT).size).toBeGreaterThan(10_000);
  });

  it("signs out: the session cookie is gone and the login form is back", async () => {
    await Promise.all([page.waitForNavigation(), page.click("#logout")]);
    expect(await page.$("form#login")).not.toBeNull();
    expect((await page.cookies()).find((c) => c.name === "b2x_ops")).toBeUndefined();
  });
});
