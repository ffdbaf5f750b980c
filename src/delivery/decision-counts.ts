import type { ForwardedDelivery } from "./outbox-item";

/**
 * Counts of the events noise control and silences held back (docs/noise-control.md), per
 * cluster, Alert and rule, kept by the ProviderObject beside its history: the history keeps the last rows, these
 * keep the totals for `flux_relay_events_suppressed_total{provider,cluster,alert,reason}`,
 * `flux_relay_events_silenced_total{provider,cluster,alert}` and the Alert's status. A silenced event is
 * counted without its silence: silence ids come and go, and each would be a metric series forever.
 */

export type Decision = NonNullable<ForwardedDelivery["decision"]>;

export interface DecisionCount {
  /** The sending cluster. */
  cluster: string;
  alert: string;
  outcome: Decision["outcome"];
  /** The rule for `suppressed` (`notify: changes`, `threshold 3/10m`, ...); empty for `silenced`. */
  reason: string;
  count: number;
}

export function createDecisionCountTable(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS decision_counts (cluster TEXT NOT NULL, alert TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (cluster, alert, outcome, reason))");
}

export function countDecision(sql: SqlStorage, item: Pick<ForwardedDelivery, "cluster" | "alert">, decision: Decision): void {
  sql.exec(
    "INSERT INTO decision_counts (cluster, alert, outcome, reason, n) VALUES (?, ?, ?, ?, 1) ON CONFLICT(cluster, alert, outcome, reason) DO UPDATE SET n = n + 1",
    item.cluster, `${item.alert.namespace}/${item.alert.name}`, decision.outcome, decision.outcome === "suppressed" ? decision.reason : "");
}

export function readDecisionCounts(sql: SqlStorage): DecisionCount[] {
  return sql.exec<{ cluster: string; alert: string; outcome: Decision["outcome"]; reason: string; n: number }>(
    "SELECT cluster, alert, outcome, reason, n FROM decision_counts ORDER BY cluster, alert, outcome, reason")
    .toArray()
    .map((r) => ({ cluster: r.cluster, alert: r.alert, outcome: r.outcome, reason: r.reason, count: r.n }));
}

/** One Alert's totals, for its status. */
export function alertDecisionTotals(counts: DecisionCount[], alert: string): { suppressed: number; silenced: number } {
  const totals = { suppressed: 0, silenced: 0 };
  for (const c of counts) if (c.alert === alert) totals[c.outcome] += c.count;
  return totals;
}
