import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { bucketIndex, escapeLabelValue, renderMetrics } from "../../src/lib/prometheus";

describe("Prometheus text format writer", () => {
  it("escapes label values so a real parser reads them back unchanged", () => {
    const nasty = 'quote " backslash \\ newline \n brace } comma , equals = #hash';
    const text = renderMetrics([{ name: "x_total", help: "help with \\ and\nnewline", type: "counter", samples: [{ labels: { provider: nasty, result: "ok" }, value: 3 }] }]);
    const [family] = parsePrometheusTextFormat(text);
    expect(family).toMatchObject({ name: "x_total", type: "COUNTER", help: "help with \\ and\nnewline" });
    expect(family.metrics).toEqual([{ labels: { provider: nasty, result: "ok" }, value: "3" }]);
    expect(text.split("\n").filter((l) => l.startsWith("x_total"))).toHaveLength(1);
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });

  it("writes cumulative histogram buckets ending in +Inf with sum and count", () => {
    const text = renderMetrics([{ name: "latency_seconds", help: "h", type: "histogram", histograms: [{ labels: {}, bounds: [0.1, 1], counts: [2, 3, 1], sum: 4.5 }] }]);
    const [family] = parsePrometheusTextFormat(text);
    expect(family.type).toBe("HISTOGRAM");
    expect(family.metrics).toEqual([{ buckets: { "0.1": "2", "1": "5", "+Inf": "6" }, count: "6", sum: "4.5" }]);
  });

  it("repeats a histogram's labels on its bucket, sum and count lines", () => {
    const text = renderMetrics([{ name: "l", help: "h", type: "histogram", histograms: [{ labels: { provider: "ns/p" }, bounds: [1], counts: [1, 0], sum: 0.5 }] }]);
    expect(text).toBe('# HELP l h\n# TYPE l histogram\nl_bucket{provider="ns/p",le="1"} 1\nl_bucket{provider="ns/p",le="+Inf"} 1\nl_sum{provider="ns/p"} 0.5\nl_count{provider="ns/p"} 1\n');
    // parse-prometheus-text-format merges labelled histogram series into one (prom2json quirk), so only the buckets are compared here.
    expect(parsePrometheusTextFormat(text)[0].metrics[0].buckets).toEqual({ "1": "1", "+Inf": "1" });
  });

  it("keeps HELP and TYPE of families without samples and spells special values as Go does", () => {
    const text = renderMetrics([
      { name: "empty_total", help: "nothing yet", type: "counter", samples: [] },
      { name: "g", help: "gauge", type: "gauge", samples: [{ labels: {}, value: Infinity }, { labels: { a: "b" }, value: NaN }] },
    ]);
    expect(text).toContain("# TYPE empty_total counter\n");
    expect(text).toContain("g +Inf\n");
    expect(text).toContain('g{a="b"} NaN\n');
    expect(parsePrometheusTextFormat(text).map((f) => f.name)).toEqual(["empty_total", "g"]);
  });

  it("refuses invalid metric or label names instead of writing an unparsable exposition", () => {
    expect(() => renderMetrics([{ name: "bad-name", help: "", type: "gauge", samples: [] }])).toThrow(/metric name/);
    expect(() => renderMetrics([{ name: "ok", help: "", type: "gauge", samples: [{ labels: { "bad-label": "v" }, value: 1 }] }])).toThrow(/label name/);
  });

  it("places observations in the first bucket whose bound is not below them", () => {
    const bounds = [0.1, 1, 10];
    expect([0, 0.1, 0.11, 1, 9.99, 10, 11].map((v) => bucketIndex(bounds, v))).toEqual([0, 0, 1, 1, 2, 2, 3]);
  });
});
