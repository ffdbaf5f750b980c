import * as z from "../lib/zod";
import type { ForwardedDelivery } from "../delivery/outbox-item";
import type { FluxEvent } from "../flux/event";
import { durationMs } from "../flux/manifests";

/**
 * Noise control (docs/noise-control.md): per Alert, cluster and involved object, the object's last
 * known state and what its destination last heard, and the decision for each new event.
 * notification-controller cannot do this because it keeps no state (fluxcd/notification-controller
 * #76, #158, #284, #445).
 *
 * The state lives in the sending cluster's ClusterObject (src/ingress/cluster-object.ts) and is
 * decided there, inside the intake transaction, right after the dedup check: intake order per
 * cluster is then the decision order (a failure and its recovery are never swapped), and a crash
 * cannot keep an event without its decision or the reverse. A provider's object would see the same
 * order, but only after forwarding, and would need every provider to keep its own copy of the state
 * of every object. The state is per cluster anyway, since it is per object of one cluster.
 * `decideNotice` is the pure state machine; `decideNoise` reads and writes its row.
 *
 * There are no timers: a reminder is the latest error event itself, delivered when the repeat
 * interval since the last delivered notice has passed. Flux re-emits a failing object's error on
 * every retry (spec.interval or spec.retryInterval), so reminders come without the relay waking up.
 */

export const NOTIFY_ANNOTATION = "flux-relay.fluxcd.io/notify";
export const REPEAT_INTERVAL_ANNOTATION = "flux-relay.fluxcd.io/repeat-interval";
export const THRESHOLD_ANNOTATION = "flux-relay.fluxcd.io/threshold";
export const SLACK_THREAD_ANNOTATION = "flux-relay.fluxcd.io/slack-thread";

/** Delivered metadata key saying where the object stands (`failing`, `recovered`, `still-failing`). */
export const TRANSITION_KEY = "transition";
export type Transition = "failing" | "recovered" | "still-failing";

/** Reason of the Alert's Ready=False condition when a noise annotation is invalid. */
export const INVALID_NOISE_REASON = "InvalidNoiseControl";

/** An Alert's noise settings, parsed from its annotations. */
export interface NoisePolicy {
  /** `all` is Flux's behaviour: every event; `changes`: failures, recoveries and reminders only. */
  notify: "all" | "changes";
  /** With `changes`: the least time between two notices of a failing object (reminders). */
  repeatInterval?: { ms: number; text: string };
  threshold?: { count: number; windowMs: number; text: string };
  /** Every notice about one object goes to one Slack thread. */
  slackThread: boolean;
  /**
   * Some valid noise annotation is set. Without one the Alert behaves exactly as in Flux: no state
   * is read or kept and no `transition` key is added to what it delivers.
   */
  enabled: boolean;
}

/** What the destination of one (Alert, cluster, object) knows; absent = ok, never told anything. */
export interface NoiseState {
  /** The object's state: `failing` once an error passed the threshold, `ok` after an info event. */
  state: "failing" | "ok";
  /** What the last delivered notice said; differs from `state` only while a silence muted a change. */
  notified: "failing" | "ok";
  /** Intake time of the last delivered notice about a failure (for repeat-interval), ms. */
  lastNotifiedAt: number | null;
  /** Intake times of the errors counted towards the threshold while not failing, oldest first. */
  recentErrors: number[];
}

export const INITIAL_STATE: NoiseState = { state: "ok", notified: "ok", lastNotifiedAt: null, recentErrors: [] };

/** An active silence that matches the event (src/rules/silences.ts). */
export interface SilenceHit {
  id: string;
  comment: string;
}

/** The reason recorded in history for a silenced event: the silence's id and comment. */
const silenceReason = (s: SilenceHit) => `silence ${s.id}: ${s.comment}`.slice(0, 1024);

export type NoiseVerdict =
  | { deliver: true; transition?: Transition }
  | { deliver: false; outcome: "suppressed" | "silenced"; reason: string };

export interface NoiseDecision {
  verdict: NoiseVerdict;
  /** The state to store; `undefined` means the key can be forgotten (equivalent to INITIAL_STATE). */
  next: NoiseState | undefined;
}

// Go's time.ParseDuration units that make sense here (ns/us are not a notification interval).
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const MAX_INTERVAL_MS = 30 * 24 * 3_600_000;

const duration = z.string().check(z.trim(), (ctx) => {
  const ms = GO_DURATION.test(ctx.value) ? durationMs(ctx.value) : Number.NaN;
  if (!(ms > 0 && ms <= MAX_INTERVAL_MS)) {
    ctx.issues.push({ code: "custom", input: ctx.value, message: `must be a duration above 0 and at most 720h such as 1h or 30m (units ms, s, m, h), got ${JSON.stringify(ctx.value)}` });
  }
});

const threshold = z.string().check(z.trim(), (ctx) => {
  const m = /^([0-9]{1,4})\/(.+)$/.exec(ctx.value);
  const count = m ? Number(m[1]) : 0;
  if (!m || count < 1 || !duration.safeParse(m[2]).success) {
    ctx.issues.push({ code: "custom", input: ctx.value, message: `must be <count>/<window> with a count from 1 to 9999 and a duration window such as 3/10m, got ${JSON.stringify(ctx.value)}` });
  }
});

const annotationsSchema = z.object({
  [NOTIFY_ANNOTATION]: z.optional(z.enum(["all", "changes"], { error: (i) => `must be "all" or "changes", got ${JSON.stringify(i.input)}` })),
  [REPEAT_INTERVAL_ANNOTATION]: z.optional(duration),
  [THRESHOLD_ANNOTATION]: z.optional(threshold),
  [SLACK_THREAD_ANNOTATION]: z.optional(z.literal("object", { error: (i) => `must be "object", got ${JSON.stringify(i.input)}` })),
});

/** A problem with one noise annotation, for the Alert's status. */
export interface NoiseProblem {
  field: string;
  message: string;
}

/**
 * An Alert's noise policy and the problems of its annotations (`metadata.annotations`). An invalid annotation is ignored
 * (as if absent), so a typo never mutes notifications; the Alert is not Ready until it is fixed.
 */
export function noisePolicy(annotations: Record<string, string> = {}): { policy: NoisePolicy; problems: NoiseProblem[] } {
  const problems: NoiseProblem[] = [];
  const valid: Record<string, string> = {};
  const shape = annotationsSchema.shape;
  for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
    const value = annotations[key];
    if (value === undefined) continue;
    const parsed = shape[key].safeParse(value);
    if (parsed.success && parsed.data !== undefined) valid[key] = parsed.data;
    else if (!parsed.success) problems.push({ field: `metadata.annotations.${key}`, message: parsed.error.issues[0].message });
  }
  const notify = valid[NOTIFY_ANNOTATION] === "changes" ? "changes" : "all";
  const policy: NoisePolicy = { notify, slackThread: valid[SLACK_THREAD_ANNOTATION] === "object", enabled: Object.keys(valid).length > 0 };
  if (valid[REPEAT_INTERVAL_ANNOTATION]) {
    if (notify === "changes") policy.repeatInterval = { ms: durationMs(valid[REPEAT_INTERVAL_ANNOTATION]), text: valid[REPEAT_INTERVAL_ANNOTATION] };
    else {
      problems.push({
        field: `metadata.annotations.${REPEAT_INTERVAL_ANNOTATION}`,
        message: `only applies with ${NOTIFY_ANNOTATION}: changes (with "all" every error is delivered anyway)`,
      });
    }
  }
  const t = valid[THRESHOLD_ANNOTATION];
  if (t) {
    const [count, window] = t.split("/");
    policy.threshold = { count: Number(count), windowMs: durationMs(window), text: t };
  }
  return { policy, problems };
}

/**
 * Decides one event of one (Alert, cluster, object): the verdict and the state to keep. `now` is
 * the intake time (never the event's own timestamp, which is the sender's clock). Noise rules
 * decide first; a silence mutes only what would otherwise be delivered, so its count says how much
 * it held back. A silenced notice is not one the destination heard: `transition` is relative to
 * what it last heard, so once the silence is over a failure that started under it is announced by
 * its next error as `failing`, and with `changes` the recovery of a failure never announced is
 * not announced either.
 */
export function decideNotice(input: {
  policy: NoisePolicy;
  previous: NoiseState | undefined;
  severity: string;
  now: number;
  silence?: SilenceHit;
}): NoiseDecision {
  const { policy, now } = input;
  const prev = input.previous ?? INITIAL_STATE;
  const error = input.severity === "error";
  const next: NoiseState = { ...prev, recentErrors: [...prev.recentErrors] };
  let suppressedBy: string | undefined;

  if (!error) {
    next.state = "ok";
    // Errors keep counting across info events while not failing, so a flapping object reaches the threshold.
    if (prev.state === "failing") next.recentErrors = [];
  } else if (prev.state !== "failing") {
    if (policy.threshold && !thresholdReached(policy.threshold, next, now)) suppressedBy = `threshold ${policy.threshold.text}`;
    else {
      next.state = "failing";
      next.recentErrors = [];
    }
  }

  // Relative to what the destination heard, which equals the previous state unless a silence muted a change.
  const transition: Transition | undefined = error ? (prev.notified === "failing" ? "still-failing" : "failing") : prev.notified === "failing" ? "recovered" : undefined;
  if (!suppressedBy && policy.notify === "changes") {
    if (transition === undefined) suppressedBy = "notify: changes";
    else if (transition === "still-failing") {
      const interval = policy.repeatInterval;
      const due = interval !== undefined && prev.lastNotifiedAt !== null && now - prev.lastNotifiedAt >= interval.ms;
      if (!due) suppressedBy = interval ? `repeat-interval ${interval.text}` : "notify: changes";
    }
  }

  let verdict: NoiseVerdict;
  if (suppressedBy) verdict = { deliver: false, outcome: "suppressed", reason: suppressedBy };
  else if (input.silence) verdict = { deliver: false, outcome: "silenced", reason: silenceReason(input.silence) };
  else {
    verdict = transition ? { deliver: true, transition } : { deliver: true };
    next.notified = next.state;
    next.lastNotifiedAt = next.state === "failing" ? now : null;
  }
  const forgettable = next.state === "ok" && next.notified === "ok" && next.recentErrors.length === 0;
  return { verdict, next: forgettable ? undefined : next };
}

/** Counts this error; true when `count` errors (this one included) arrived within the window. */
function thresholdReached(threshold: NonNullable<NoisePolicy["threshold"]>, state: NoiseState, now: number): boolean {
  state.recentErrors = [...state.recentErrors.filter((at) => now - at <= threshold.windowMs), now].slice(-threshold.count);
  return state.recentErrors.length >= threshold.count;
}

/** The key of one noise state: Alert, cluster and involved object. */
export function noiseKey(alert: { namespace: string; name: string }, cluster: string, object: { kind: string; namespace: string; name: string }): string {
  return [alert.namespace, alert.name, cluster, object.kind, object.namespace, object.name].join("/");
}

/** One routed delivery as noise control sees it, inside the cluster's intake transaction. */
export interface NoiseInput {
  /**
   * The sending cluster's ClusterObject storage. Called inside the intake transaction, after the
   * dedup check: state written here commits or rolls back with the event, and intake order is
   * the decision order.
   */
  sql: SqlStorage;
  cluster: string;
  alert: { namespace: string; name: string };
  /** The Alert's annotations (where noise-control settings live). */
  annotations: Record<string, string>;
  /** The event as stored (cleaned, token-free); its metadata is not this delivery's. */
  event: FluxEvent;
  /** This delivery's metadata, combined for the Alert (cluster set). */
  metadata: Record<string, string>;
  /** Intake time, ms. */
  now: number;
  /** The active silence matching the event, found by the Worker in its configuration snapshot. */
  silence?: SilenceHit;
}

/** What the delivery carries on: its metadata (e.g. with `transition`), and a decision when nothing is to be sent. */
export interface NoiseOutcome {
  metadata: Record<string, string>;
  decision?: ForwardedDelivery["decision"];
  threadKey?: string;
}

/**
 * A failing object that sends nothing for this long is taken as deleted from its cluster and its
 * state is forgotten: Flux re-emits a failing object's error on every retry, far more often.
 */
export const NOISE_STATE_MAX_IDLE_MS = 30 * 24 * 3_600_000;

/** Noise control's table in the ClusterObject, created with the object's own; stale rows swept on wake-up. */
export function createNoiseTables(sql: SqlStorage, now = Date.now()): void {
  sql.exec("CREATE TABLE IF NOT EXISTS noise_state (key TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at INTEGER NOT NULL)");
  sql.exec("DELETE FROM noise_state WHERE updated_at < ?", now - NOISE_STATE_MAX_IDLE_MS);
}

// Every delivery of an event carries its Alert's annotations; most Alerts share a few settings.
const policies = new Map<string, ReturnType<typeof noisePolicy>>();
const POLICY_CACHE_LIMIT = 256;

function cachedPolicy(annotations: Record<string, string>): NoisePolicy {
  const key = JSON.stringify([NOTIFY_ANNOTATION, REPEAT_INTERVAL_ANNOTATION, THRESHOLD_ANNOTATION, SLACK_THREAD_ANNOTATION].map((k) => annotations[k]));
  let parsed = policies.get(key);
  if (!parsed) {
    parsed = noisePolicy(annotations);
    if (policies.size >= POLICY_CACHE_LIMIT) policies.delete(policies.keys().next().value as string);
    policies.set(key, parsed);
  }
  return parsed.policy;
}

/** Whether an Alert's annotations turn noise control on, i.e. its decisions read and write state. */
export function noiseControlled(annotations: Record<string, string>): boolean {
  return cachedPolicy(annotations).enabled;
}

/**
 * Noise control's decision for one delivery, with its state row read and written through `sql`.
 * An Alert without noise annotations keeps Flux's behaviour and costs no SQL; a matching silence
 * still holds its events back.
 */
export function decideNoise(input: NoiseInput): NoiseOutcome {
  const policy = cachedPolicy(input.annotations);
  if (!policy.enabled) {
    if (!input.silence) return { metadata: input.metadata };
    return { metadata: input.metadata, decision: { outcome: "silenced", reason: silenceReason(input.silence) } };
  }
  const key = noiseKey(input.alert, input.cluster, input.event.involvedObject);
  const row = input.sql.exec<{ state: string }>("SELECT state FROM noise_state WHERE key = ?", key).toArray()[0];
  const previous = row ? (JSON.parse(row.state) as NoiseState) : undefined;
  const { verdict, next } = decideNotice({ policy, previous, severity: input.event.severity, now: input.now, silence: input.silence });
  if (next) {
    input.sql.exec(
      "INSERT INTO noise_state (key, state, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
      key, JSON.stringify(next), input.now);
  } else if (row) {
    input.sql.exec("DELETE FROM noise_state WHERE key = ?", key);
  }
  if (!verdict.deliver) return { metadata: input.metadata, decision: { outcome: verdict.outcome, reason: verdict.reason } };
  if (!verdict.transition) return { metadata: input.metadata };
  return {
    metadata: { ...input.metadata, [TRANSITION_KEY]: verdict.transition },
    ...(policy.slackThread ? { threadKey: key } : {}),
  };
}
