// `npm run lock:platforms`: the registry this project installs from serves only the Linux builds
// of some native packages (buf, workerd), so `npm install` leaves the other platforms' optional
// binaries out of package-lock.json, and `npm ci` then refuses the lock as out of sync. This
// records those optional packages as lock entries restricted to their os/cpu (the shape npm
// writes itself), so `npm ci` skips them on Linux and the lock stays valid everywhere.
import { readFileSync, writeFileSync } from "node:fs";

type Entry = { version?: string; dev?: boolean; optional?: boolean; os?: string[]; cpu?: string[]; optionalDependencies?: Record<string, string> };
const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8")) as { packages: Record<string, Entry> };

const OS: [RegExp, string][] = [[/darwin/, "darwin"], [/win32|windows/, "win32"], [/linux/, "linux"], [/freebsd/, "freebsd"]];
const CPU: [RegExp, string][] = [[/arm64|aarch64/, "arm64"], [/armv7/, "arm"], [/x64|-64$/, "x64"], [/ia32/, "ia32"]];
const pick = (name: string, table: [RegExp, string][]) => table.find(([re]) => re.test(name))?.[1];

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${dep}`;
    if (lock.packages[target] || lock.packages[`${path}/${target}`]) continue;
    const os = pick(dep, OS);
    const cpu = pick(dep.replace(/^@[^/]+\//, ""), CPU);
    if (!os || !cpu) continue;
    lock.packages[target] = { version, ...(entry.dev && { dev: true }), optional: true, os: [os], cpu: [cpu] };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
console.log(`package-lock.json: recorded ${added} platform-specific optional package(s)`);
