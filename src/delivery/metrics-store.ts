import { bucketIndex } from "../lib/prometheus";

/**
 * Upper bounds (seconds) of the delivery latency histogram: from fast webhooks to the slowest
 * attempt Provider.spec.timeout allows in practice.
 */
export const LATENCY_BOUNDS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60] as const;

/** A latency histogram as stored: per-bucket counts (last = above every bound) and the sum. */
export interface LatencyHistogram {
  bounds: number[];
  counts: number[];
  sumSeconds: number;
}

/** Tables behind the metrics, created beside the objects' own (additive, idempotent). */
export function createLatencyTable(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS latency_buckets (bucket INTEGER PRIMARY KEY, n INTEGER NOT NULL, sum_ms INTEGER NOT NULL)");
}

export function observeLatency(sql: SqlStorage, latencyMs: number): void {
  const bucket = bucketIndex(LATENCY_BOUNDS_SECONDS, latencyMs / 1000);
  sql.exec(
    `INSERT INTO latency_buckets (bucket, n, sum_ms) VALUES (?, 1, ?)
     ON CONFLICT(bucket) DO UPDATE SET n = n + 1, sum_ms = sum_ms + excluded.sum_ms`,
    bucket, latencyMs);
}

/** One stored latency bucket. */
export interface LatencyRow {
  bucket: number;
  n: number;
  sum_ms: number;
}

export function latencyFromRows(rows: Iterable<LatencyRow>): LatencyHistogram {
  const counts = new Array<number>(LATENCY_BOUNDS_SECONDS.length + 1).fill(0);
  let sumMs = 0;
  for (const row of rows) {
    counts[Math.min(row.bucket, counts.length - 1)] += row.n;
    sumMs += row.sum_ms;
  }
  return { bounds: [...LATENCY_BOUNDS_SECONDS], counts, sumSeconds: sumMs / 1000 };
}

export function readLatency(sql: SqlStorage): LatencyHistogram {
  return latencyFromRows(sql.exec<{ bucket: number; n: number; sum_ms: number }>("SELECT bucket, n, sum_ms FROM latency_buckets"));
}
