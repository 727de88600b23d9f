// `npm run release:connector -- [--version X.Y.Z] [--entry file.ts] [--out dist/connector]
//   [--keys-dir .data/release-keys] [--force] [--upload <edge URL> [--admin-token T]]`
// Bundles connector-host into one signed, versioned artifact under dist/connector/<version>/.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { semverSchema } from "../../schema/connector-release.ts";
import { createRelease } from "./create.ts";
import { DEV_KEYS_DIR, loadSigningKey, trustedKeysOf } from "./keys.ts";
import { readReleaseDir, uploadRelease } from "./upload.ts";

const { values } = parseArgs({
  options: {
    version: { type: "string" },
    entry: { type: "string", default: "connector-host/main.ts" },
    out: { type: "string", default: "dist/connector" },
    "keys-dir": { type: "string", default: DEV_KEYS_DIR },
    force: { type: "boolean", default: false },
    upload: { type: "string" },
    "admin-token": { type: "string" },
  },
  strict: true,
});

function fail(message: string): never {
  process.stderr.write(`release:connector: ${message}\n`);
  process.exit(2);
}

const packageVersion = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
const version = semverSchema.safeParse(values.version ?? packageVersion);
if (!version.success) fail(`--version: ${version.error.issues[0]?.message}`);
const adminToken = values["admin-token"] ?? process.env.B2X_ADMIN_TOKEN;
if (values.upload && !adminToken) fail("--upload needs --admin-token or B2X_ADMIN_TOKEN");

try {
  const key = loadSigningKey(resolve(values["keys-dir"]!));
  const release = await createRelease({ version: version.data, entry: resolve(values.entry!), outDir: resolve(values.out!), key, force: values.force! });
  const summary: Record<string, unknown> = { dir: release.dir, manifest: release.manifest, trustedKeys: trustedKeysOf(key) };
  if (values.upload) {
    const res = await uploadRelease(values.upload, adminToken!, readReleaseDir(release.dir));
    summary.upload = res;
    if (res.status !== 201) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      fail(`upload refused with ${res.status}`);
    }
  }
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} catch (err) {
  fail((err as Error).message);
}
