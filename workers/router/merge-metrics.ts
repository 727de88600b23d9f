import { type MetricFamily, familiesFromHeaders, familyOf, renderExposition, sample } from "../metrics/exposition.ts";
import type { Ring } from "./rings.ts";

/** A ring's /metrics text, or null with the reason when it did not answer. */
export interface RingExposition {
  ring: Ring;
  text: string | null;
  error?: string;
}

const RING_UP: MetricFamily = {
  name: "b2x_ring_up",
  type: "gauge",
  help: "Whether the rollout ring's Worker answered the router's fan-out of this scrape (0: its tenants are missing from it).",
};
const TENANT_LABEL = /[{,]tenant="((?:[^"\\]|\\.)*)"/;
const TENANT_INFO = /^b2x_tenant_info\{.*\} /;
const RING_LABEL = /[{,]ring="((?:[^"\\]|\\.)*)"/;

/**
 * One exposition from the rings' own: each family under one HELP/TYPE (the first ring to
 * declare it wins; a ring declaring it with another type, as a newer build might, loses those
 * samples rather than making the scrape unreadable), `b2x_ring_up{ring}` for every ring, and
 * each tenant's series only from the ring `b2x_tenant_info` places it in, each series once.
 * Rings running an older build that reports every tenant therefore merge correctly too.
 */
export function mergeExpositions(parts: readonly RingExposition[]): string {
  const families = new Map<string, MetricFamily>([[RING_UP.name, RING_UP]]);
  const perRing = parts.filter((p) => p.text !== null).map((p) => ({ ring: p.ring, ...ringSamples(p.text!, families) }));
  const home = tenantRings(perRing.flatMap((p) => p.samples));
  const seen = new Set<string>();
  const samples = parts.map((p) => sample(RING_UP.name, { ring: p.ring }, p.text === null ? 0 : 1));
  for (const { ring, samples: lines } of perRing) {
    for (const line of lines) {
      const tenant = TENANT_LABEL.exec(line)?.[1];
      if (tenant !== undefined && home.has(tenant) && home.get(tenant) !== ring) continue;
      const series = line.slice(0, line.lastIndexOf(" "));
      if (seen.has(series)) continue;
      seen.add(series);
      samples.push(line);
    }
  }
  return renderExposition([...families.values()], samples);
}

/** A ring's sample lines of the families it declares with the merged type; adds its new families to `families`. */
function ringSamples(text: string, families: Map<string, MetricFamily>): { samples: string[] } {
  const lines = text.split("\n");
  const own = new Map(familiesFromHeaders(lines.filter((l) => l.startsWith("# "))).map((f) => [f.name, f]));
  for (const f of own.values()) if (!families.has(f.name)) families.set(f.name, f);
  const samples = lines.filter((line) => {
    if (line === "" || line.startsWith("#")) return false;
    const family = familyOf(line, own);
    return family !== undefined && families.get(family)!.type === own.get(family)!.type;
  });
  return { samples };
}

/** tenant → ring from the `b2x_tenant_info{tenant,ring}` samples (the database's word on where each tenant lives). */
function tenantRings(lines: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines) {
    if (!TENANT_INFO.test(line)) continue;
    const tenant = TENANT_LABEL.exec(line)?.[1];
    const ring = RING_LABEL.exec(line)?.[1];
    if (tenant !== undefined && ring !== undefined) out.set(tenant, ring);
  }
  return out;
}
