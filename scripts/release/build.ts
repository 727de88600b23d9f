import { build } from "esbuild";

export interface BuildOptions {
  /** Entry point, normally connector-host/main.ts (tests build small variants). */
  entry: string;
  outfile: string;
  version: string;
}

/**
 * One self-contained ESM file for Node 24: every dependency inlined, the version baked in (the
 * bundle cannot read package.json), and a `require` for the CommonJS parts (ws) that load Node
 * built-ins.
 */
export async function bundleConnector(opts: BuildOptions): Promise<void> {
  await build({
    entryPoints: [opts.entry],
    outfile: opts.outfile,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    minify: false,
    sourcemap: false,
    legalComments: "none",
    logLevel: "silent",
    // ws loads these optional native accelerators inside try/catch; without them it uses JS.
    external: ["bufferutil", "utf-8-validate"],
    define: { __B2X_CONNECTOR_VERSION__: JSON.stringify(opts.version) },
    banner: { js: `import { createRequire as __b2xCreateRequire } from "node:module";\nconst require = __b2xCreateRequire(import.meta.url);` },
  });
}
