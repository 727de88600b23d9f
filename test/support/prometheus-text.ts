/**
 * A strict reader of the Prometheus text format (0.0.4) for tests: it throws on anything a
 * scraper could reject or misread — a sample of an undeclared family, a family split into
 * several groups, duplicate HELP/TYPE or series, a malformed line, histogram buckets that are
 * not cumulative or whose +Inf bucket differs from _count.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** Samples of one metric name (a histogram's series by their suffixed names). */
  of(name: string, labels?: Record<string, string>): Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

function parseLabels(raw: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < raw.length) {
    const m = LABEL.exec(raw);
    if (!m) throw new Error(`malformed labels in: ${line}`);
    if (m[1]! in labels) throw new Error(`duplicate label ${m[1]} in: ${line}`);
    labels[m[1]!] = m[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
  }
  return labels;
}

function parseValue(v: string, line: string): number {
  if (v === "+Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  if (v === "NaN") return NaN;
  const n = Number(v);
  if (v.trim() === "" || Number.isNaN(n)) throw new Error(`bad value in: ${line}`);
  return n;
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return types.get(base) === "histogram" || types.get(base) === "summary" ? base : undefined;
}

export function parsePrometheusText(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const closed = new Set<string>();
  const seen = new Set<string>();
  const samples: Sample[] = [];
  let current: string | undefined;
  for (const line of text.slice(0, -1).split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (closed.has(name) || (current !== undefined && current !== name && types.has(name))) throw new Error(`family ${name} declared twice or split`);
      if (kind === "HELP") {
        if (helps.has(name)) throw new Error(`second HELP for ${name}`);
        helps.add(name);
      } else {
        if (types.has(name)) throw new Error(`second TYPE for ${name}`);
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) throw new Error(`unknown type ${rest}`);
        types.set(name, rest);
      }
      if (current !== undefined && current !== name) closed.add(current);
      current = name;
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`malformed sample line: ${line}`);
    const name = m[1]!;
    const family = familyOf(name, types);
    if (!family) throw new Error(`sample of an undeclared family: ${line}`);
    if (family !== current) throw new Error(`sample outside its family's group: ${line}`);
    const labels = m[2] ? parseLabels(m[2], line) : {};
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(",")}}`;
    if (seen.has(key)) throw new Error(`duplicate series: ${line}`);
    seen.add(key);
    samples.push({ name, labels, value: parseValue(m[3]!, line) });
  }
  checkHistograms(types, samples);
  const of = (name: string, labels: Record<string, string> = {}) => samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return { types, samples, of };
}

/** Per histogram series: buckets non-decreasing in `le`, a +Inf bucket equal to _count. */
function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const series = new Map<string, { le: number; v: number }[]>();
    const idOf = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).filter(([k]) => k !== "le").sort());
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      if (s.labels.le === undefined) throw new Error(`${family}_bucket without le`);
      const id = idOf(s.labels);
      series.set(id, [...(series.get(id) ?? []), { le: parseValue(s.labels.le, s.labels.le), v: s.value }]);
    }
    for (const [id, buckets] of series) {
      const sorted = [...buckets].sort((a, b) => a.le - b.le);
      for (let i = 1; i < sorted.length; i++) if (sorted[i]!.v < sorted[i - 1]!.v) throw new Error(`${family} buckets not cumulative for ${id}`);
      const inf = sorted.at(-1)!;
      if (inf.le !== Infinity) throw new Error(`${family} has no +Inf bucket for ${id}`);
      const count = samples.find((x) => x.name === `${family}_count` && idOf(x.labels) === id);
      if (!count || count.value !== inf.v) throw new Error(`${family}_count differs from its +Inf bucket for ${id}`);
      if (!samples.some((x) => x.name === `${family}_sum` && idOf(x.labels) === id)) throw new Error(`${family}_sum missing for ${id}`);
    }
  }
}
