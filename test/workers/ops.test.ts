import { describe, expect, it } from "vitest";
import { overviewSchema } from "../../workers/ops/overview-schema.ts";
import { TEST_ADMIN_TOKEN } from "./constants.ts";
import { admin, call, uniqueTenantId } from "./helpers.ts";

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(fields).toString(),
  redirect: "manual" as const,
});

async function login(name: string): Promise<string> {
  const res = await call("/ops/login", form({ token: TEST_ADMIN_TOKEN, name }));
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/ops");
  const cookie = res.headers.get("set-cookie")!;
  return cookie.split(";")[0]!;
}

describe("ops page login and session", () => {
  it("refuses a wrong token, then signs in with an HttpOnly, SameSite=Strict, expiring session cookie", async () => {
    const wrong = await call("/ops/login", form({ token: "wrong-token-wrong-token-wrong", name: "mallory" }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await wrong.text()).toContain("Wrong admin token.");

    const res = await call("/ops/login", form({ token: TEST_ADMIN_TOKEN, name: "alice" }));
    expect(res.status).toBe(303);
    const setCookie = res.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^b2x_ops=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Max-Age=28800/);
    // Plain http (local): no Secure flag, or the browser would drop the cookie.
    expect(setCookie).not.toMatch(/Secure/);
    expect(setCookie).not.toContain(TEST_ADMIN_TOKEN);
  });

  it("serves the dashboard and the overview to the session, but no mutation", async () => {
    const tenantId = uniqueTenantId("ops");
    expect((await admin("/tenants", "POST", { tenantId, name: "Ops GmbH", rolloutRing: "early" })).status).toBe(201);
    const cookie = await login("bob");
    const page = await call("/ops", { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain('<table id="tenants">');
    expect(await (await call("/ops")).text()).toContain('action="/ops/login"');

    const overview = await call("/v1/admin/overview", { headers: { cookie } });
    expect(overview.status).toBe(200);
    const body = overviewSchema.parse(await overview.json());
    expect(body.signedInAs).toMatch(/^bob \(token:[0-9a-f]{12}\)$/);
    expect(body.tenants.find((t) => t.tenantId === tenantId)).toMatchObject({ ring: "early", sessionUp: true, connectors: [], syncRuns: [] });

    // A cookie alone never authorizes a change: the browser would send it for any page's request.
    const mutation = await call(`/v1/admin/tenants/${tenantId}`, { method: "PATCH", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ name: "x" }) });
    expect(mutation.status).toBe(401);
    // A forged or altered cookie is no session.
    const forged = `b2x_ops=${encodeURIComponent(`${btoa(JSON.stringify({ name: "eve", fingerprint: "x", expiresAt: Date.now() + 1e6 }))}.${cookie.split(".").at(-1)}`)}`;
    expect((await call("/v1/admin/overview", { headers: { cookie: forged } })).status).toBe(401);
  });

  it("refuses cross-site form posts and audits login, failed login and logout", async () => {
    expect((await call("/ops/login", form({ token: TEST_ADMIN_TOKEN, name: "carol" }, { origin: "https://evil.example" }))).status).toBe(403);
    const cookie = await login("carol");
    await call("/ops/login", form({ token: "nope-nope-nope-nope-nope-nope", name: "carol" }));
    const out = await call("/ops/logout", { ...form({}), headers: { cookie } });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/b2x_ops=;.*Max-Age=0/);
    const entries = ((await (await admin("/audit?tenantId=_system&limit=20")).json()) as { entries: { action: string; actor: string; details: Record<string, unknown> }[] }).entries;
    const mine = entries.filter((e) => e.action.startsWith("ops.") && (e.details.attemptedName === "carol" || e.actor.startsWith("carol"))).reverse();
    expect(mine.map((e) => [e.action, e.details.status])).toEqual([["ops.login", 403], ["ops.login", 303], ["ops.login", 401], ["ops.logout", 303]]);
    expect(mine[1]!.actor).toMatch(/^carol \(token:/);
    expect(mine[3]!.actor).toMatch(/^carol \(token:/);
  });
});
