/**
 * Prometheus text exposition (format 0.0.4) from sample lines gathered from several sources
 * (each tenant's TenantSession, Postgres, the Worker): each family's samples are grouped under
 * one HELP and one TYPE line, as the format requires, whatever order the sources produced.
 */
export interface MetricFamily {
  name: string;
  type: "counter" | "gauge" | "histogram";
  help: string;
}

const SAMPLE_NAME = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/;

/** The family a sample line belongs to (histogram series carry _bucket/_sum/_count). */
export function familyOf(line: string, families: ReadonlyMap<string, MetricFamily>): string | undefined {
  const name = SAMPLE_NAME.exec(line)?.[1];
  if (!name) return undefined;
  if (families.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return families.get(base)?.type === "histogram" ? base : undefined;
}

/** Renders the families in the order given; samples of an undeclared family are dropped. */
export function renderExposition(families: readonly MetricFamily[], samples: readonly string[]): string {
  const byName = new Map(families.map((f) => [f.name, f]));
  const grouped = new Map<string, string[]>(families.map((f) => [f.name, []]));
  for (const line of samples) {
    const family = familyOf(line, byName);
    if (family) grouped.get(family)!.push(line);
  }
  const out: string[] = [];
  for (const f of families) {
    const lines = grouped.get(f.name)!;
    if (lines.length === 0) continue;
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...lines);
  }
  return `${out.join("\n")}\n`;
}

/** A label value escaped for the text format. */
export const labelValue = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** `name{k="v",…} value` with escaped label values; non-finite values are written as Prometheus spells them. */
export function sample(name: string, labels: Record<string, string>, value: number): string {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${labelValue(v)}"`).join(",");
  const v = Number.isNaN(value) ? "NaN" : value === Infinity ? "+Inf" : value === -Infinity ? "-Inf" : String(value);
  return `${name}${l ? `{${l}}` : ""} ${v}`;
}

/** Families declared as `# HELP` / `# TYPE` header lines (the form the metric sources export). */
export function familiesFromHeaders(headers: readonly string[]): MetricFamily[] {
  const help = new Map<string, string>();
  const families: MetricFamily[] = [];
  for (const h of headers) {
    const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(h);
    if (!m) continue;
    const [, kind, name, rest] = m as unknown as [string, string, string, string];
    if (kind === "HELP") help.set(name, rest);
    else families.push({ name, type: rest as MetricFamily["type"], help: help.get(name) ?? name });
  }
  return families;
}
