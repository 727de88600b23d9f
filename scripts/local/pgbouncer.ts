import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:net";
import { waitFor } from "./ports.ts";

const BINARY = "/usr/sbin/pgbouncer";

/** A PgBouncer in front of a Postgres: where clients connect instead. */
export interface RunningPooler {
  host: string;
  port: number;
  stop(): Promise<void>;
}

export interface PoolerOptions {
  /** Where its config, auth file and log go. */
  dir: string;
  port: number;
  /** The Postgres it pools (trust auth, user `postgres`). */
  postgres: { host: string; port: number };
  /** Server connections kept per database and user (default 4: this machine has 2 cores). */
  poolSize?: number;
}

/** Whether PgBouncer is installed here (nothing is installed to find out). */
export const pgBouncerAvailable = () => existsSync(BINARY);

/** Debian's PgBouncer, installed if it is not there (needs root and the Debian registry). */
function ensureInstalled(): void {
  if (existsSync(BINARY)) return;
  console.error("pgbouncer not found; installing Debian's pgbouncer...");
  execFileSync("apt-get", ["update"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "pgbouncer"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

/**
 * PgBouncer in transaction mode, as Neon's pooled connection string puts one in front of the
 * database: a request's short-lived connection borrows a server backend that lives on, instead
 * of forking a new one. That matters for speed as much as for connection counts: a new backend
 * maps every shared buffer it reads afresh (two page faults per 8 KB page), which costs a query
 * over 6k pages ~30 ms on this machine and one over 24k pages ~100 ms, every request.
 */
export async function startPgBouncer(opts: PoolerOptions): Promise<RunningPooler> {
  ensureInstalled();
  mkdirSync(opts.dir, { recursive: true });
  const ini = join(opts.dir, "pgbouncer.ini");
  const users = join(opts.dir, "users.txt");
  writeFileSync(users, `"postgres" ""\n`);
  writeFileSync(
    ini,
    [
      "[databases]",
      `* = host=${opts.postgres.host} port=${opts.postgres.port}`,
      "[pgbouncer]",
      `listen_addr = 127.0.0.1`,
      `listen_port = ${opts.port}`,
      `unix_socket_dir =`,
      `auth_type = trust`,
      `auth_file = ${users}`,
      `pool_mode = transaction`,
      `default_pool_size = ${opts.poolSize ?? 4}`,
      `max_client_conn = 1000`,
      // node-postgres and the Neon driver send these at startup; PgBouncer refuses unknown ones.
      `ignore_startup_parameters = extra_float_digits,options`,
      `logfile = ${join(opts.dir, "pgbouncer.log")}`,
      "",
    ].join("\n"),
  );
  // It refuses to run as root: run it as the postgres user, who must be able to write its log.
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    for (const p of [opts.dir, ini, users]) chownSync(p, uid, gid);
  }
  const child: ChildProcess = spawn(BINARY, [...(isRoot ? ["-u", "postgres"] : []), ini], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d));
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  const listening = () =>
    new Promise<boolean>((res) => {
      const s = connect(opts.port, "127.0.0.1", () => (s.end(), res(true)));
      s.on("error", () => res(false));
    });
  await Promise.race([waitFor("pgbouncer", listening, 15_000), exited.then(() => Promise.reject(new Error(`pgbouncer exited: ${stderr}`)))]);
  return {
    host: "127.0.0.1",
    port: opts.port,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM"); // immediate shutdown (SIGINT waits for clients)
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
