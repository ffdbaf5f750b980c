import type { Condition, ProviderRuntimeStatus } from "../routes/api-schemas";
import type { ProviderConfig } from "./attempt-runner";
import type { LatencyHistogram } from "./metrics-store";
import type { OutboxStore, StatusRows } from "./outbox-store";
import { providerConditions, type DeliveryHealth } from "./status";

/** State keys the drain writes and the read model reads. */
export const STATE = {
  ref: "ref",
  suspended: "suspended",
  conditions: "conditions",
  lastError: "last_error",
  lastDeliveryAt: "last_delivery_at",
  lastSentAt: "last_sent_at",
  /** JSON `{at, reason}` while the latest message that left the outbox was dead-lettered; absent after a delivery. */
  deadLettering: "dead_lettering",
  lastTest: "last_test",
  /** JSON Counters, written by OutboxStore.flush. */
  counters: "counters",
} as const;

/** Failing state of the outbox as the conditions read it. */
export function deliveryHealth({ state, queue: { head } }: Pick<StatusRows, "state" | "queue">): DeliveryHealth {
  const dead = state.get(STATE.deadLettering);
  return {
    retrying: head && head.attempts > 0 && !head.configBlocked ? (head.lastError ?? "delivery failing") : undefined,
    deadLettering: dead ? (JSON.parse(dead) as { reason: string }).reason : undefined,
  };
}

/** The conditions for `config` now; transition times from the conditions stored at the last write. */
export function currentConditions(store: OutboxStore, config: ProviderConfig, now: number, stored = store.statusRows(now)): Condition[] {
  const previous = JSON.parse(stored.state.get(STATE.conditions) ?? "[]") as Condition[];
  const problems = config.provider?.problems ?? (config.manifest ? [] : [{ reason: "ValidationFailed" as const, message: `provider ${config.ref.namespace}/${config.ref.name} not found in KV`, stalled: false }]);
  return providerConditions({ problems, health: deliveryHealth(stored), previous, now });
}

/**
 * The provider's status, computed from the current configuration and what the outbox stores.
 * Read-only: a GET or a metrics scrape never writes.
 */
export function readStatus(store: OutboxStore, config: ProviderConfig, now: number, stored = store.statusRows(now)): ProviderRuntimeStatus {
  const { state, queue, latency } = stored;
  const lastError = state.get(STATE.lastError);
  const lastDelivery = state.get(STATE.lastDeliveryAt);
  const lastTest = state.get(STATE.lastTest);
  const manifest = config.manifest;
  return {
    conditions: currentConditions(store, config, now, stored),
    observedGeneration: manifest?.metadata.generation ?? 1,
    lastHandledReconcileAt: manifest?.metadata.annotations?.["reconcile.fluxcd.io/requestedAt"],
    suspended: state.get(STATE.suspended) === "true",
    queueDepth: queue.depth,
    deadLetters: store.deadCount,
    oldestQueuedAt: queue.oldest,
    nextAttemptAt: queue.head ? queue.head.dueAt : null,
    lastDeliveryAt: lastDelivery ? Number(lastDelivery) : null,
    lastError: lastError ? JSON.parse(lastError) : null,
    lastTest: lastTest ? JSON.parse(lastTest) : null,
    counters: store.counters(state.get(STATE.counters)),
    hourly: stored.hourly,
    latency: { p50Ms: quantileMs(latency, 0.5), p99Ms: quantileMs(latency, 0.99) },
  };
}

/** The upper bound of the bucket holding quantile `q` (ms); null without samples. */
export function quantileMs(h: LatencyHistogram, q: number): number | null {
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    seen += h.counts[i];
    if (seen >= q * total) return (h.bounds[Math.min(i, h.bounds.length - 1)] ?? 0) * 1000;
  }
  return h.bounds[h.bounds.length - 1] * 1000;
}
