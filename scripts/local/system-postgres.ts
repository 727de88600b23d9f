import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { RunningPostgres } from "./embedded-postgres.ts";
import { reserveHugePages, settingBytes } from "./huge-pages.ts";

function findBinDir(): string | undefined {
  {
    const base = "/usr/lib/postgresql";
    if (!existsSync(base)) return undefined;
    const versions = readdirSync(base).filter((v) => existsSync(join(base, v, "bin", "postgres"))).sort((a, b) => Number(b) - Number(a));
    return versions[0] ? join(base, versions[0], "bin") : undefined;
  }
}

/** Whether a system Postgres can be started here without installing anything. */
export function systemPostgresAvailable(): boolean {
  return findBinDir() !== undefined && (process.getuid?.() !== 0 || spawnSync("id", ["-u", "postgres"]).status === 0);
}

/** Finds Debian's Postgres binaries, installing the `postgresql` package if none are there. */
function postgresBinDir(): string {
  let dir = findBinDir();
  if (!dir) {
    console.error("system postgres not found; installing Debian's postgresql (needs root and the Debian registry)...");
    execFileSync("apt-get", ["update"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "postgresql", "postgresql-contrib"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    dir = findBinDir();
  }
  if (!dir) throw new Error("no Postgres server binaries under /usr/lib/postgresql");
  return dir;
}

/** Postgres refuses to run as root; run its tools as the `postgres` user when we are root. */
function asPostgres(cmd: string, args: string[]): { status: number | null; output: string } {
  const isRoot = process.getuid?.() === 0;
  const r = isRoot ? spawnSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8" }) : spawnSync(cmd, args, { encoding: "utf8" });
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/**
 * A throwaway system Postgres cluster in `dataDir` on `port` (trust auth, loopback only), the
 * reference for benchmarks and for tests where real concurrency matters.
 */
export async function startSystemPostgres(opts: { dataDir: string; port: number; sharedBuffers?: string; hugePages?: boolean }): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const isRoot = process.getuid?.() === 0;
  mkdirSync(opts.dataDir, { recursive: true });
  if (isRoot) {
    // The postgres user must be able to reach the directory (mkdtemp makes 0700 parents).
    const parent = dirname(opts.dataDir);
    chmodSync(parent, statSync(parent).mode | 0o711);
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(opts.dataDir, uid, gid);
  }
  if (!existsSync(join(opts.dataDir, "PG_VERSION"))) {
    const init = asPostgres(join(bin, "initdb"), ["-D", opts.dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"]);
    if (init.status !== 0) throw new Error(`initdb failed:\n${init.output}`);
  }
  const sharedBuffers = opts.sharedBuffers ?? "1GB";
  // Shared memory on huge pages when asked and the kernel can set them aside; never by chance.
  const huge = opts.hugePages ? reserveHugePages(settingBytes(sharedBuffers)) : undefined;
  const settings = `-p ${opts.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${opts.dataDir} -c shared_buffers=${sharedBuffers} -c huge_pages=${huge ? "on" : "off"} -c work_mem=64MB -c maintenance_work_mem=1GB -c max_wal_size=8GB`;
  const start = asPostgres(join(bin, "pg_ctl"), ["-D", opts.dataDir, "-o", settings, "-l", join(opts.dataDir, "server.log"), "-w", "start"]);
  if (start.status !== 0) {
    huge?.release();
    throw new Error(`pg_ctl start failed:\n${start.output}`);
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${opts.port}/postgres`,
    host: "127.0.0.1",
    port: opts.port,
    kind: "system",
    hugePages: huge !== undefined,
    async stop() {
      asPostgres(join(bin, "pg_ctl"), ["-D", opts.dataDir, "-m", "fast", "-w", "stop"]);
      huge?.release();
    },
  };
}
