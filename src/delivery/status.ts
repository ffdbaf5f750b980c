import type { ProviderProblem } from "../notifiers/factory";
import type { Condition } from "../routes/api-schemas";

export type { Condition } from "../routes/api-schemas";

/** Why a provider is failing, from the outbox: the head being retried, or messages ending in dead letters. */
export interface DeliveryHealth {
  /** The head's last error while it is being retried. */
  retrying?: string;
  /** Set while the latest message that left the outbox went to dead letters. */
  deadLettering?: string;
}

/**
 * Flux-shaped conditions of a Provider (the v1beta2 Provider status of notification-controller):
 * Ready=True/Succeeded when usable and delivering; Ready=False + Stalled for problems only a
 * config change fixes (InvalidURL, unsupported features); Ready=False + Reconciling
 * (ProgressingWithRetry) for a missing Secret or while deliveries are failing and being retried;
 * Ready=False DeliveryFailed while the latest messages end in dead letters, so a provider that
 * drops everything is never green. A transition time is kept from `previous` (the conditions
 * stored at the last write) while a condition's status and reason are unchanged.
 */
export function providerConditions(input: { problems: ProviderProblem[]; health: DeliveryHealth; previous: Condition[]; now: number }): Condition[] {
  const { problems, health } = input;
  const stalled = problems.find((p) => p.stalled);
  const retrying = problems.find((p) => !p.stalled);
  const next: Omit<Condition, "lastTransitionTime">[] = [];
  if (stalled) {
    next.push({ type: "Ready", status: "False", reason: stalled.reason, message: stalled.message });
    next.push({ type: "Stalled", status: "True", reason: stalled.reason, message: stalled.message });
  } else if (retrying) {
    next.push({ type: "Ready", status: "False", reason: retrying.reason, message: retrying.message });
    next.push({ type: "Reconciling", status: "True", reason: "ProgressingWithRetry", message: retrying.message });
  } else if (health.retrying) {
    next.push({ type: "Ready", status: "False", reason: "DeliveryFailed", message: health.retrying });
    next.push({ type: "Reconciling", status: "True", reason: "ProgressingWithRetry", message: `retrying: ${health.retrying}` });
  } else if (health.deadLettering) {
    next.push({ type: "Ready", status: "False", reason: "DeliveryFailed", message: `the latest message went to dead letters: ${health.deadLettering}` });
  } else {
    next.push({ type: "Ready", status: "True", reason: "Succeeded", message: "Initialized" });
  }
  const at = new Date(input.now).toISOString().replace(/\.\d{3}Z$/, "Z");
  return next.map((c) => {
    const before = input.previous.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: before && before.status === c.status && before.reason === c.reason ? before.lastTransitionTime : at };
  });
}
