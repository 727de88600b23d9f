import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { actorName, principal, tokenFingerprint } from "../lib/admin-principal.ts";
import { endSession, readSession, startSession } from "../lib/ops-session.ts";
import { adminAudit, auditEvent } from "../middleware/admin-audit.ts";
import { isAdminToken } from "../middleware/admin-auth.ts";
import { OPS_CSS, OPS_JS } from "../ops/page-assets.ts";
import { dashboardPage, loginPage } from "../ops/page-html.ts";
import type { AppEnv } from "../types.ts";

const loginForm = z.object({ token: z.string().max(512).default(""), name: z.string().max(64).default("") });

/** The page runs only its own script and style, and is never framed or cached. */
const PAGE_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
  // Not no-referrer: with it the browser sends `Origin: null` on the login post, which sameOrigin refuses.
  "referrer-policy": "same-origin",
};

/** A form post from another site is refused (the cookie is SameSite=Strict as well). */
function sameOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header("origin");
  if (origin && origin !== new URL(c.req.url).origin) throw new AppError(403, "forbidden", "Cross-site form posts are refused");
}

/** `GET /ops`: the operations page behind an admin login (session cookie); login and logout are audited. */
export const opsRoutes = new Hono<AppEnv>()
  .use(adminAudit)
  .get("/", async (c) => c.html((await readSession(c)) ? dashboardPage() : loginPage(), 200, PAGE_HEADERS))
  .get("/app.js", (c) => c.body(OPS_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }))
  .get("/app.css", (c) => c.body(OPS_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "no-cache" }))
  .post("/login", async (c) => {
    const form = loginForm.safeParse(await c.req.parseBody());
    const token = form.success ? form.data.token : "";
    const name = actorName(form.success ? form.data.name : undefined) ?? "admin";
    const fingerprint = token ? await tokenFingerprint(token) : "";
    auditEvent(c, { action: "ops.login", details: { attemptedName: name, ...(fingerprint && { presentedToken: fingerprint }) } });
    sameOrigin(c);
    if (!(await isAdminToken(c, token))) return c.html(loginPage("Wrong admin token."), 401, PAGE_HEADERS);
    c.set("admin", principal("session", fingerprint, name));
    await startSession(c, name, fingerprint);
    return c.redirect("/ops", 303);
  })
  .post("/logout", async (c) => {
    const session = await readSession(c);
    if (session) c.set("admin", principal("session", session.fingerprint, session.name));
    auditEvent(c, { action: "ops.logout" });
    sameOrigin(c);
    endSession(c);
    return c.redirect("/ops", 303);
  });
