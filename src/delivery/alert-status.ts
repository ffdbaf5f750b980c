import { alertConfigProblems } from "../flux/match";
import { templateProblems } from "../rules/message-template";
import type { AlertManifest } from "../flux/manifests";
import { canThread } from "../notifiers/slack";
import type { ProviderSettings } from "../notifiers/types";
import { clusterSelectorProblems } from "../rules/clusters";
import { INVALID_NOISE_REASON, noisePolicy, SLACK_THREAD_ANNOTATION } from "../rules/noise";
import type { Condition, ProviderRuntimeStatus } from "../routes/api-schemas";

/**
 * Conditions of an Alert (v1beta2-style, which v1beta3 dropped; users asked for them back in
 * notification-controller#1371): Stalled for configuration only an edit fixes (invalid regexes,
 * matchLabels sources the relay cannot evaluate, no sources, invalid noise-control annotations of
 * src/rules/noise.ts, a Slack thread its provider cannot post), Ready=False when the provider is
 * missing or not Ready, otherwise Ready=True. Routing never depends on these (v1beta3 semantics).
 */
export function alertConditions(input: {
  alert: AlertManifest;
  providerFound: boolean;
  providerStatus?: ProviderRuntimeStatus;
  dispatchFailures: { at: number; reason: string; message: string }[];
  /** The provider's resolved type and address (Secret applied), when it is usable. */
  providerSettings?: Pick<ProviderSettings, "type" | "address">;
}): { conditions: Omit<Condition, "lastTransitionTime">[]; observedGeneration: number } {
  const { alert } = input;
  const providerName = `${alert.metadata.namespace}/${alert.spec.providerRef.name}`;
  const noise = noisePolicy(alert.metadata.annotations);
  const problems: { reason: string; message: string; field?: string }[] = [
    ...alertConfigProblems(alert),
    ...clusterSelectorProblems(alert),
    ...noise.problems.map((p) => ({ ...p, reason: INVALID_NOISE_REASON })),
    // A message template that does not parse: deliveries fall back to Flux's message until it is fixed.
    ...templateProblems(alert).map((p) => ({
      reason: "InvalidTemplate",
      message: `line ${p.line}, column ${p.column}: ${p.message}`,
      field: `metadata.annotations["${p.annotation}"]`,
    })),
  ];
  if (noise.policy.slackThread && input.providerSettings && !canThread(input.providerSettings)) {
    problems.push({
      reason: "SlackThreadUnsupported",
      field: `metadata.annotations.${SLACK_THREAD_ANNOTATION}`,
      message: `provider ${providerName} cannot reply in a thread: only a slack provider posting with chat.postMessage (address https://slack.com/api/chat.postMessage and a bot token) can; an incoming webhook cannot`,
    });
  }
  const conditions: Omit<Condition, "lastTransitionTime">[] = [];
  const providerReady = input.providerStatus?.conditions.find((c) => c.type === "Ready");
  if (problems.length > 0) {
    const message = problems.map((p) => `${p.field ? `${p.field}: ` : ""}${p.message}`).join("; ");
    conditions.push({ type: "Ready", status: "False", reason: problems[0].reason, message });
    conditions.push({ type: "Stalled", status: "True", reason: problems[0].reason, message });
  } else if (!input.providerFound) {
    const message = `failed to get provider '${providerName}': not found`;
    conditions.push({ type: "Ready", status: "False", reason: "Failed", message });
    conditions.push({ type: "Reconciling", status: "True", reason: "ProgressingWithRetry", message });
  } else if (providerReady && providerReady.status !== "True") {
    conditions.push({ type: "Ready", status: "False", reason: "Failed", message: `provider ${providerName} is not ready: ${providerReady.message}` });
  } else {
    conditions.push({ type: "Ready", status: "True", reason: "Succeeded", message: "Initialized" });
  }
  return { conditions, observedGeneration: alert.metadata.generation ?? 1 };
}
