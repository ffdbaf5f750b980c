import { loadConfig, loadProvider } from "../config/store";
import type { FluxEvent } from "../flux/event";
import { CHANGE_REQUEST_TYPES, COMMIT_STATUS_TYPES, type AlertManifest, type ProviderManifest, type ProviderType } from "../flux/manifests";
import { redact } from "../lib/redact";
import { resolveProvider, type ResolvedProvider } from "../notifiers/factory";
import { credentialCheck } from "../notifiers/git/check";
import { notifierFor } from "../notifiers/registry";
import { runExchange, sendRequest } from "../notifiers/transport";
import { FormatError, hasExchange, isSkip, type Classification, type Notifier, type NotifyContext, type ResponseSnapshot, type SlackThreadReply } from "../notifiers/types";
import { withTemplates } from "../rules/message-template";
import { summarize } from "./summary";

export interface ProviderRef {
  namespace: string;
  name: string;
}

/** The provider and its Alerts as configured at the start of a drain run (or of a status read). */
export interface ProviderConfig {
  ref: ProviderRef;
  manifest?: ProviderManifest;
  /** Undefined when the provider is missing from KV. */
  provider?: ResolvedProvider;
  /** `<ns>/<name>` -> Alert; empty for status reads. */
  alerts: Map<string, AlertManifest>;
}

/** How one attempt ended. Never thrown: every failure is a classification with a redacted reason. */
export interface AttemptResult {
  classification: Classification;
  status?: number;
  latencyMs: number;
  /** Why nothing was sent (skip of the formatter, identical commit status). */
  skipped?: string;
  /** A request reached the network (pacing and the latency histogram count only those). */
  sent?: boolean;
  /** Recorded on the Alert as NotificationDispatchFailed when the message is dead-lettered. */
  dispatchError?: boolean;
  remember?: { key: string; state: string };
  /** The destination's answer (a Slack thread's `ts` is read from it). */
  response?: ResponseSnapshot;
  /** The Alert's template failed: Flux's message was used, and the history row says why. */
  templateError?: string;
  /** Failed because of the configuration (provider or Secret missing), not the destination. */
  configBlocked?: boolean;
}

/** What a message carries into an attempt. */
export interface AttemptInput {
  event: FluxEvent;
  alert?: AlertManifest;
  cluster: string;
  thread?: SlackThreadReply;
}

/** The provider as configured now, read straight from KV (status reads, test sends). */
export async function currentProvider(env: Env, ref: ProviderRef): Promise<ProviderConfig> {
  const loaded = await loadProvider(env, ref.namespace, ref.name);
  return resolved(env, ref, loaded.manifest, loaded.invalid?.details, new Map());
}

/**
 * The provider from a configuration snapshot the caller read already (the status page reads one
 * for its whole render), so a status read costs no KV read and manifest parse of its own.
 */
export function snapshotProvider(env: Env, ref: ProviderRef, manifest: ProviderManifest | undefined): ProviderConfig {
  return resolved(env, ref, manifest, undefined, new Map());
}

/** The provider and every Alert from the configuration snapshot: read once per drain run. */
export async function runConfig(env: Env, ref: ProviderRef, now: number): Promise<ProviderConfig> {
  const config = await loadConfig(env, now);
  const key = `${ref.namespace}/${ref.name}`;
  const invalid = config.invalid.find((i) => i.kind === "Provider" && i.key === `providers/${key}`);
  const alerts = new Map(config.alerts.map((a) => [`${a.metadata.namespace}/${a.metadata.name}`, a]));
  return resolved(env, ref, config.providers.get(key), invalid?.details, alerts);
}

function resolved(env: Env, ref: ProviderRef, manifest: ProviderManifest | undefined, invalid: string[] | undefined, alerts: Map<string, AlertManifest>): ProviderConfig {
  if (invalid) {
    const problem = { reason: "ValidationFailed" as const, message: `invalid Provider manifest: ${invalid.join("; ")}`, stalled: true };
    return { ref, manifest, provider: { problems: [problem], secrets: [] }, alerts };
  }
  return { ref, manifest, provider: manifest ? resolveProvider(manifest, env) : undefined, alerts };
}

/**
 * The Alert a message names, from the run's snapshot. A deleted Alert still lets its queued
 * messages go out: with a minimal manifest carrying its name, as Flux would have sent them.
 */
export function alertFor(config: ProviderConfig, alert: { namespace: string; name: string }): AlertManifest | undefined {
  if (!alert.name) return undefined;
  return config.alerts.get(`${alert.namespace}/${alert.name}`) ?? ({
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    metadata: { namespace: alert.namespace, name: alert.name },
    spec: { providerRef: { name: config.ref.name }, eventSources: [], eventSeverity: "info", suspend: false },
  } as unknown as AlertManifest);
}

/**
 * One delivery attempt: resolve, format, skip identical remembered state, send, classify; or,
 * for a notifier with an exchange, that whole conversation.
 */
export async function runAttempt(input: AttemptInput, config: ProviderConfig, remembered: (key: string) => string | undefined): Promise<AttemptResult> {
  const resolvedProvider = config.provider;
  // KV is eventually consistent: a provider that is missing now may appear; retried until max age.
  if (!resolvedProvider) return { classification: { outcome: "retry", reason: `provider ${config.ref.namespace}/${config.ref.name} not found in KV` }, latencyMs: 0, configBlocked: true };
  // A missing Secret may still be added: retry until max age (Reconciling). Any other problem
  // makes the provider unusable until its config changes: dead-letter with the reason.
  const secretMissing = resolvedProvider.problems.find((p) => p.reason === "SecretNotFound");
  if (secretMissing) return { classification: { outcome: "retry", reason: secretMissing.message }, latencyMs: 0, configBlocked: true };
  const problem = resolvedProvider.problems[0];
  if (problem || !resolvedProvider.settings) {
    const reason = problem ? `${problem.reason}: ${problem.message}` : "provider is not usable";
    return { classification: { outcome: "permanent", reason }, latencyMs: 0, dispatchError: true };
  }
  const settings = resolvedProvider.settings;
  const { ctx, templateError } = withTemplates({ event: input.event, settings, alert: input.alert, cluster: input.cluster || undefined, now: Date.now(), thread: input.thread });
  const result = await formatAndSend(notifierFor(settings.type)!, ctx, resolvedProvider.secrets, remembered);
  return templateError ? { ...result, templateError } : result;
}

/** Formats and sends one request (or runs the notifier's exchange) for a prepared context. */
async function formatAndSend(notifier: Notifier, ctx: NotifyContext, secrets: string[], remembered: (key: string) => string | undefined): Promise<AttemptResult> {
  const { settings } = ctx;
  let request;
  try {
    if (hasExchange(notifier)) return await runExchange(notifier, ctx, settings.timeoutMs, secrets);
    request = await notifier.format(ctx);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    return { classification: { outcome: "permanent", reason: redact(err.message, secrets) }, latencyMs: 0, dispatchError: true };
  }
  if (isSkip(request)) return { classification: { outcome: "delivered" }, latencyMs: 0, skipped: request.skip };
  if (request.remember && remembered(request.remember.key) === request.remember.state) {
    return { classification: { outcome: "delivered" }, latencyMs: 0, skipped: "identical status already posted" };
  }
  const outcome = await sendRequest(notifier, request, settings.timeoutMs, secrets);
  return { ...outcome, sent: true, remember: request.remember };
}

/** How a test send ended, before it is recorded. */
export interface TestResult {
  outcome: "delivered" | "failed" | "checked";
  status: number | null;
  latencyMs: number;
  error: string | null;
  summary: string;
}

/**
 * A test send: a clearly marked test event through the same runner as queued messages, or for
 * commit-status and pull-request-comment types (which need a commit or a pull request a test
 * event cannot name) a read-only check of the token and repository.
 */
export async function runTest(config: ProviderConfig, now: number): Promise<TestResult> {
  const event = testEvent(config.ref, now);
  const summary = summarize(event);
  const settings = config.provider?.settings;
  const check = settings && !config.provider?.problems.length ? credentialCheck(settings.type) : undefined;
  if (settings && check) {
    const secrets = config.provider!.secrets;
    let request;
    try {
      request = check(settings);
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      return { outcome: "failed", status: null, latencyMs: 0, error: redact(err.message, secrets), summary: `${summary} (repository check)` };
    }
    const sent = await sendRequest(notifierFor(settings.type)!, request, settings.timeoutMs, secrets);
    const ok = sent.classification.outcome === "delivered";
    const error = ok ? null : `repository check failed: ${(sent.classification as { reason: string }).reason}`;
    return { outcome: ok ? "checked" : "failed", status: sent.status ?? null, latencyMs: sent.latencyMs, error, summary: `${summary} (repository check)` };
  }
  const result = await runAttempt({ event, cluster: "" }, config, () => undefined);
  const c = result.classification;
  let error = c.outcome === "delivered" ? (result.skipped ?? null) : c.reason;
  const type = settings?.type;
  const gap = type && testEventGap(type);
  if (gap && c.outcome !== "delivered" && result.dispatchError && !config.provider?.problems.length) error = `${gap}: ${error}`;
  return { outcome: c.outcome === "delivered" && !result.skipped ? "delivered" : "failed", status: result.status ?? null, latencyMs: result.latencyMs, error, summary };
}

/**
 * What a test event lacks for types that act on a commit or a pull request named by the event,
 * said plainly so that "missing revision metadata" is not read as a fault of the provider.
 */
function testEventGap(type: ProviderType): string | undefined {
  if (COMMIT_STATUS_TYPES.includes(type)) return `a test event names no commit, so ${type} cannot post a commit status for it`;
  if (CHANGE_REQUEST_TYPES.includes(type)) return `a test event names no pull or merge request, so ${type} cannot comment on it`;
  return undefined;
}

const TEST_MARK = "flux-relay test notification";

/**
 * The event of a test send, marked as a test in whatever a type shows: the message for most; the
 * `summary` metadata for Grafana, whose annotation carries tags but no message; the uid for
 * PagerDuty, whose `info` event is a resolve with nothing but that dedup key (a key no incident
 * has, so it resolves nothing).
 */
function testEvent(ref: ProviderRef, now: number): FluxEvent {
  return {
    involvedObject: { kind: "Provider", namespace: ref.namespace, name: ref.name, uid: "flux-relay-test", apiVersion: "notification.toolkit.fluxcd.io/v1beta3", resourceVersion: "", fieldPath: "" },
    severity: "info",
    timestamp: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
    message: `${TEST_MARK} for provider ${ref.namespace}/${ref.name}`,
    reason: "TestNotification",
    metadata: { summary: TEST_MARK, test: "true" },
    reportingController: "flux-relay",
    reportingInstance: "",
  };
}
