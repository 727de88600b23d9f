/** The ops page's stylesheet and script, served as they are (no build step). */
export const OPS_CSS = `
:root { font-family: system-ui, sans-serif; color: #1d2530; background: #f5f7fa; }
body { margin: 0; }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.2rem; background: #1d2530; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
header .muted { color: #b8c2cc; }
.spacer { flex: 1; }
main { padding: 1rem 1.2rem; }
h2 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .9rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e3e8ee; white-space: nowrap; }
th { background: #eef2f6; font-weight: 600; }
.muted { color: #67727e; }
.error { color: #b3261e; }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: .6rem; font-size: .8rem; background: #e3e8ee; }
header .badge { color: #1d2530; margin-right: .3rem; } .badge.error { background: #f8d7d4; color: #b3261e; }
.ring-canary { background: #fde2b8; } .ring-early { background: #d7e8fd; } .ring-stable { background: #d5f0dc; }
.online { color: #1b7f3b; font-weight: 600; } .offline { color: #b3261e; font-weight: 600; }
.bar { width: 10rem; height: .7rem; background: #e3e8ee; border-radius: .35rem; overflow: hidden; display: inline-block; vertical-align: middle; }
.bar > span { display: block; height: 100%; background: #2f6fdb; }
.status-failed { color: #b3261e; } .status-succeeded { color: #1b7f3b; }
.login { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 1.5rem; border-radius: .5rem; box-shadow: 0 1px 4px #0002; }
.login label { display: block; margin: .6rem 0; } .login input { width: 100%; box-sizing: border-box; padding: .4rem; }
button { padding: .35rem .9rem; cursor: pointer; }
`;

export const OPS_JS = `"use strict";
// Fills the dashboard from GET /v1/admin/overview (the session cookie authenticates) every 5 s.
const REFRESH_MS = 5000;
const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return e;
}

const pct = (r) => (r == null ? "–" : (r * 100).toFixed(1) + " %");
const ms = (v) => (v == null ? "–" : v.toFixed(1) + " ms");
const age = (s) => (s == null ? "never" : s < 90 ? s + " s ago" : Math.round(s / 60) + " min ago");
const eta = (s) => (s == null ? "–" : s < 90 ? s + " s" : Math.round(s / 60) + " min");
const num = (n) => (n == null ? "–" : n.toLocaleString("en-US"));

function tenantRows(t) {
  const connectors = t.connectors.length ? t.connectors : [null];
  return connectors.map((c, i) => {
    const errors = Object.entries(t.live.errorsByStatus).map(([k, v]) => k + ": " + v).join(", ") || "0";
    return el("tr", { "data-tenant": t.tenantId, "data-connector": c ? c.connectorId : "" },
      el("td", { "data-field": "tenant" }, i === 0 ? t.tenantId : "", i === 0 && t.disabled ? " (disabled)" : ""),
      el("td", { "data-field": "ring" }, i === 0 ? el("span", { class: "badge ring-" + t.ring }, t.ring) : ""),
      el("td", { "data-field": "connector" }, c ? el("span", { class: c.online ? "online" : "offline" }, c.connectorId + " " + (c.online ? "online" : "offline")) : el("span", { class: "offline" }, "none")),
      el("td", { "data-field": "version" }, (c ? c.version : "–") + (t.desiredConnectorVersion ? " (" + t.desiredConnectorVersion + ")" : "")),
      el("td", { "data-field": "heartbeat" }, c ? age(c.lastHeartbeatAgeSeconds) : "–"),
      el("td", { "data-field": "p95" }, i === 0 ? ms(t.live.p95Ms) : ""),
      el("td", { "data-field": "cache" }, i === 0 ? pct(t.live.cacheHitRatio) : ""),
      el("td", { "data-field": "errors" }, i === 0 ? errors : ""),
      el("td", { "data-field": "queue" }, i === 0 ? t.live.queueDepth : ""));
  });
}

function runRow(t, r) {
  const progress = r.progress == null ? null : Math.round(r.progress * 100);
  return el("tr", { "data-tenant": t.tenantId, "data-run": r.runId },
    el("td", {}, t.tenantId),
    el("td", { "data-field": "run" }, r.runId),
    el("td", { "data-field": "mode" }, r.mode),
    el("td", { "data-field": "status", class: "status-" + r.status }, r.status),
    el("td", { "data-field": "stage" }, r.stage),
    el("td", { "data-field": "progress" },
      el("span", { class: "bar", title: progress == null ? "unknown" : progress + " %" }, el("span", { style: "width:" + (progress ?? 0) + "%" })),
      " " + (progress == null ? "–" : progress + " %")),
    el("td", { "data-field": "rows" }, num(r.rowsDone) + (r.rowsTotal != null ? " / " + num(r.rowsTotal) : "")),
    el("td", { "data-field": "rate" }, num(r.ratePerSecond) + " rows/s"),
    el("td", { "data-field": "eta" }, eta(r.etaSeconds)));
}

const versionOf = (w) => (w && (w.versionTag || w.versionId)) || "unknown version";

// Behind the router the overview merges the rollout rings: one badge per ring with its Worker
// version, and a warning naming the rings whose tenants are missing because they did not answer.
function renderRings(o) {
  const rings = o.rings || [];
  const merged = rings.length > 1;
  $("#worker-version").textContent = merged ? "Worker versions per ring:" : "Worker " + versionOf(o.worker);
  $("#rings").replaceChildren(...(merged ? rings.map((r) => el("span", { class: "badge ring-" + r.ring + (r.ok ? "" : " error"), "data-ring": r.ring, "data-ok": String(r.ok), title: r.error || "" },
    r.ring + " " + (r.ok ? versionOf(r.worker) : "no answer"))) : []));
  const down = rings.filter((r) => !r.ok);
  $("#partial").hidden = down.length === 0;
  $("#partial").textContent = down.length ? "Partial view: no answer from " + down.map((r) => r.ring + " (" + r.error + ")").join(", ") + "; its tenants are missing." : "";
}

function render(o) {
  renderRings(o);
  $("#signed-in").textContent = "signed in as " + o.signedInAs;
  $("#tenants tbody").replaceChildren(...o.tenants.flatMap(tenantRows));
  $("#sync-runs tbody").replaceChildren(...o.tenants.flatMap((t) => t.syncRuns.map((r) => runRow(t, r))));
  $("#errors").replaceChildren(...(o.recentErrors.length
    ? o.recentErrors.map((e) => el("li", { "data-source": e.source }, el("time", {}, e.at), " ", el("b", {}, e.tenantId), " [" + e.source + "] ", e.message))
    : [el("li", { class: "muted" }, "none")]));
  $("#updated").textContent = new Date(o.generatedAt).toLocaleTimeString();
  document.body.dataset.loaded = "true";
}

async function refresh() {
  try {
    const res = await fetch("/v1/admin/overview", { credentials: "same-origin", headers: { accept: "application/json" } });
    if (res.status === 401) { location.reload(); return; }
    if (!res.ok) throw new Error("HTTP " + res.status);
    render(await res.json());
    $("#stale").hidden = true;
  } catch (err) {
    $("#stale").hidden = false;
    console.error("ops overview failed", err);
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
`;
