import type { ProviderProblem } from "../notifiers/factory";

/** A Kubernetes status condition as Flux writes them. */
export interface Condition {
  type: "Ready" | "Stalled" | "Reconciling";
  status: "True" | "False";
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/**
 * Flux-shaped conditions of a Provider (the v1beta2 Provider status of notification-controller):
 * Ready=True/Succeeded when usable and delivering; Ready=False + Stalled for problems only a
 * config change fixes (InvalidURL, unsupported features); Ready=False + Reconciling
 * (ProgressingWithRetry) for a missing Secret or while deliveries are failing and being retried.
 * Transition times are kept from `previous` while a condition's status is unchanged.
 */
export function providerConditions(input: { problems: ProviderProblem[]; failing?: string; previous: Condition[]; now: number }): Condition[] {
  const { problems, failing } = input;
  const stalled = problems.find((p) => p.stalled);
  const retrying = problems.find((p) => !p.stalled);
  const next: Omit<Condition, "lastTransitionTime">[] = [];
  if (stalled) {
    next.push({ type: "Ready", status: "False", reason: stalled.reason, message: stalled.message });
    next.push({ type: "Stalled", status: "True", reason: stalled.reason, message: stalled.message });
  } else if (retrying) {
    next.push({ type: "Ready", status: "False", reason: retrying.reason, message: retrying.message });
    next.push({ type: "Reconciling", status: "True", reason: "ProgressingWithRetry", message: retrying.message });
  } else if (failing) {
    next.push({ type: "Ready", status: "False", reason: "DeliveryFailed", message: failing });
    next.push({ type: "Reconciling", status: "True", reason: "ProgressingWithRetry", message: `retrying: ${failing}` });
  } else {
    next.push({ type: "Ready", status: "True", reason: "Succeeded", message: "Initialized" });
  }
  const at = new Date(input.now).toISOString().replace(/\.\d{3}Z$/, "Z");
  return next.map((c) => {
    const before = input.previous.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : at };
  });
}
