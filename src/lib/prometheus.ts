/** Label names and values of one sample. */
export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
}

/** Cumulative-ready histogram data: per-bucket (non-cumulative) counts beside their upper bounds. */
export interface HistogramData {
  labels: Labels;
  /** Upper bounds in ascending order (without +Inf). */
  bounds: number[];
  /** counts[i] observations fell in (bounds[i-1], bounds[i]]; counts[bounds.length] is above the last bound. */
  counts: number[];
  sum: number;
}

export type Family =
  | { name: string; help: string; type: "counter" | "gauge"; samples: Sample[] }
  | { name: string; help: string; type: "histogram"; histograms: HistogramData[] };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label value escaping of the text format: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escaping: backslash and line feed (quotes stay as they are). */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64) spelling that Prometheus parsers expect for specials. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  for (const [name] of entries) if (!LABEL_NAME.test(name) || name.startsWith("__")) throw new Error(`invalid label name ${JSON.stringify(name)}`);
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/**
 * Renders metric families in the Prometheus text exposition format (version 0.0.4): HELP and
 * TYPE once per family, escaped label values, cumulative histogram buckets ending in +Inf.
 * Families without samples keep their HELP/TYPE so scrapers learn the metric exists.
 */
export function renderMetrics(families: Family[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw new Error(`invalid metric name ${JSON.stringify(family.name)}`);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type !== "histogram") {
      for (const s of family.samples) lines.push(`${family.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
      continue;
    }
    for (const h of family.histograms) {
      if ("le" in h.labels) throw new Error("a histogram's labels cannot include le");
      if (h.counts.length !== h.bounds.length + 1) throw new Error(`histogram ${family.name}: ${h.bounds.length} bounds need ${h.bounds.length + 1} counts`);
      let cumulative = 0;
      h.bounds.forEach((bound, i) => {
        cumulative += h.counts[i];
        lines.push(`${family.name}_bucket${formatLabels({ ...h.labels, le: formatValue(bound) })} ${cumulative}`);
      });
      cumulative += h.counts[h.bounds.length];
      lines.push(`${family.name}_bucket${formatLabels({ ...h.labels, le: "+Inf" })} ${cumulative}`);
      lines.push(`${family.name}_sum${formatLabels(h.labels)} ${formatValue(h.sum)}`);
      lines.push(`${family.name}_count${formatLabels(h.labels)} ${cumulative}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The bucket index an observation falls in for ascending `bounds` (bounds.length = above all). */
export function bucketIndex(bounds: readonly number[], value: number): number {
  const i = bounds.findIndex((b) => value <= b);
  return i === -1 ? bounds.length : i;
}
