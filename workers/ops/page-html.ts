/**
 * The ops page's HTML: a login form, or the dashboard shell that /ops/app.js fills from
 * GET /v1/admin/overview. Static apart from the escaped error text; no inline script or style,
 * so the page runs under a strict Content-Security-Policy.
 */
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const shell = (title: string, body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="/ops/app.css">
</head>
<body>
${body}
</body>
</html>
`;

export function loginPage(error?: string): string {
  return shell(
    "B2X operations — sign in",
    `<main class="login">
  <h1>B2X operations</h1>
  <form method="post" action="/ops/login" id="login">
    <label>Your name <input name="name" autocomplete="username" maxlength="64" placeholder="e.g. alice"></label>
    <label>Admin token <input name="token" type="password" autocomplete="current-password" required></label>
    <button type="submit">Sign in</button>
    ${error ? `<p class="error" role="alert" id="login-error">${escapeHtml(error)}</p>` : ""}
  </form>
</main>`,
  );
}

export function dashboardPage(): string {
  return shell(
    "B2X operations",
    `<header>
  <h1>B2X operations</h1>
  <span id="worker-version" class="muted"></span>
  <span id="rings"></span>
  <span class="spacer"></span>
  <span id="signed-in" class="muted"></span>
  <form method="post" action="/ops/logout"><button type="submit" id="logout">Sign out</button></form>
</header>
<main>
  <p id="partial" class="error" role="alert" hidden></p>
  <p class="muted">Refreshes every 5 s · last update <time id="updated">never</time> <span id="stale" class="error" hidden>(update failed)</span></p>
  <section>
    <h2>Tenants</h2>
    <table id="tenants">
      <thead><tr><th>Tenant</th><th>Ring</th><th>Connector</th><th>Version (desired)</th><th>Last heartbeat</th><th>Live p95</th><th>Cache hits</th><th>ERP errors</th><th>Queue</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section>
    <h2>Sync runs</h2>
    <table id="sync-runs">
      <thead><tr><th>Tenant</th><th>Run</th><th>Mode</th><th>Status</th><th>Stage</th><th>Progress</th><th>Rows</th><th>Rate</th><th>ETA</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section>
    <h2>Recent errors</h2>
    <ul id="errors"></ul>
  </section>
</main>
<script src="/ops/app.js" defer></script>`,
  );
}
