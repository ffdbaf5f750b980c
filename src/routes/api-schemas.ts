import * as z from "../lib/zod";
import type { ClusterView } from "../ingress/cluster-object";

/**
 * zod schemas of what the admin API answers. The Durable Object's public types are inferred from
 * them (below), so the OpenAPI document generated from these schemas cannot drift from the code.
 */

export const conditionSchema = z.object({
  type: z.enum(["Ready", "Stalled", "Reconciling"]),
  status: z.enum(["True", "False"]),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string().check(z.describe("RFC 3339, kept while the condition's status is unchanged")),
});

export const countersSchema = z.object({
  received: z.int().check(z.describe("deliveries stored in the outbox")),
  delivered: z.int(),
  retried: z.int().check(z.describe("failed attempts scheduled again")),
  deadLettered: z.int(),
  dropped: z.int().check(z.describe("events dropped while the provider was suspended")),
  skipped: z.int().check(z.describe("deliveries with nothing to send (e.g. an identical commit status)")),
  suppressed: z.int().check(z.describe("deliveries noise control decided not to send")),
  silenced: z.int().check(z.describe("deliveries a silence matched")),
  refused: z.int().check(z.describe("deliveries refused because the outbox was full (dead letter QueueFull)")),
  deadLettersDropped: z.int().check(z.describe("oldest dead letters removed to keep the dead letter cap")),
});

const epochMs = z.int().check(z.describe("milliseconds since the Unix epoch"));

export const providerStatusSchema = z.object({
  conditions: z.array(conditionSchema),
  observedGeneration: z.int(),
  lastHandledReconcileAt: z.optional(z.string()),
  suspended: z.boolean().check(z.describe("the relay's own suspend flag (effective suspend = spec.suspend OR this)")),
  queueDepth: z.int(),
  deadLetters: z.int(),
  oldestQueuedAt: z.nullable(epochMs),
  nextAttemptAt: z.nullable(epochMs),
  lastDeliveryAt: z.nullable(epochMs),
  lastError: z.nullable(z.object({ at: epochMs, message: z.string().check(z.describe("secrets redacted")) })),
  lastTest: z.nullable(z.object({ at: epochMs, outcome: z.enum(["delivered", "failed", "checked"]), error: z.nullable(z.string()) })),
  counters: countersSchema,
  hourly: z.array(z.object({ hour: epochMs.check(z.describe("start of the hour")), delivered: z.int(), failed: z.int() }))
    .check(z.describe("the last 7 days, oldest first; failed = retried + dead-lettered")),
  latency: z.object({ p50Ms: z.nullable(z.number()), p99Ms: z.nullable(z.number()) }).check(z.describe("attempt latency estimated from the histogram")),
});

export const OUTCOMES = ["delivered", "retried", "dead-lettered", "skipped", "suppressed", "silenced", "dropped", "refused", "failed", "checked"] as const;

export const deliveryRecordSchema = z.object({
  id: z.int(),
  at: epochMs,
  messageId: z.nullable(z.int()).check(z.describe("outbox message id; null for test sends")),
  attempt: z.int(),
  outcome: z.enum(OUTCOMES).check(z.describe("failed and checked only for test sends")),
  test: z.boolean(),
  status: z.nullable(z.int()).check(z.describe("HTTP status of the destination's answer")),
  latencyMs: z.int(),
  error: z.nullable(z.string()).check(z.describe("secrets redacted")),
  alert: z.nullable(z.string()).check(z.describe("<namespace>/<name> of the Alert")),
  cluster: z.string().check(z.describe("the sending cluster; empty for test sends")),
  summary: z.string(),
});

export const deadLetterSchema = z.object({
  id: z.int(),
  enqueuedAt: epochMs,
  failedAt: epochMs,
  attempts: z.int(),
  reason: z.string().check(z.describe("secrets redacted")),
  alert: z.nullable(z.string()),
  cluster: z.string().check(z.describe("the sending cluster")),
  summary: z.string(),
});

export const attemptSchema = z.object({
  at: epochMs,
  attempt: z.int(),
  status: z.nullable(z.int()),
  latencyMs: z.int(),
  error: z.nullable(z.string()).check(z.describe("secrets redacted")),
});

export const deadLetterDetailSchema = z.extend(deadLetterSchema, {
  event: z.record(z.string(), z.unknown()).check(z.describe("the Flux event as it would be sent")),
  attemptLog: z.array(attemptSchema).check(z.describe("every failed attempt, oldest first")),
});

export const retryResultSchema = z.object({ nextAttemptAt: z.nullable(epochMs).check(z.describe("null when the outbox is empty")) });

export const testOutcomeSchema = z.object({
  outcome: z.enum(["delivered", "failed", "checked"]).check(z.describe("checked: a read-only check of the token and repository (commit-status and comment types)")),
  status: z.nullable(z.int()),
  latencyMs: z.int(),
  error: z.nullable(z.string()),
});

export const alertStatusSchema = z.object({
  conditions: z.array(z.omit(conditionSchema, { lastTransitionTime: true })),
  observedGeneration: z.int(),
  dispatchFailures: z.array(z.object({ at: epochMs, reason: z.string(), message: z.string() })),
  noise: z.object({ suppressed: z.int(), silenced: z.int() }).check(z.describe("events of this Alert held back by noise control and silences")),
});

export const invalidEntrySchema = z.object({
  key: z.string().check(z.describe("KV key")),
  kind: z.enum(["Provider", "Alert"]),
  details: z.array(z.string()),
});

export const errorSchema = z.object({
  error: z.string(),
  details: z.array(z.string()).check(z.describe("every problem found, each prefixed with its field path")),
});

export const idsBodySchema = z.strictObject({
  ids: z.optional(z.array(z.int().check(z.positive()))).check(z.describe("dead letter ids; all when absent")),
});

export const replayResultSchema = z.object({ replayed: z.int() });
export const discardResultSchema = z.object({ discarded: z.int() });
export const deletedSchema = z.object({ deleted: z.string().check(z.describe("the KV key removed")) });

const intakeCountsSchema = z.object({
  accepted: z.int().check(z.describe("events committed with at least one routed delivery")),
  duplicate: z.int().check(z.describe("same event from this cluster inside the dedup window")),
  unmatched: z.int().check(z.describe("stored as received, but no Alert took it")),
  invalid: z.int().check(z.describe("refused after authentication (400)")),
});

export const clusterViewSchema = z.object({
  name: z.string(),
  lastEventAt: z.nullable(epochMs),
  counts: intakeCountsSchema,
  backlog: z.int().check(z.describe("routed deliveries not yet forwarded to their providers' outboxes")),
  lastError: z.nullable(z.object({ at: epochMs, message: z.string() })).check(z.describe("last forwarding failure")),
  hourly: z.array(z.extend(intakeCountsSchema, { hour: epochMs.check(z.describe("start of the hour")) })).check(z.describe("the last 7 days, oldest first")),
});

export type Condition = z.infer<typeof conditionSchema>;
export type Counters = z.infer<typeof countersSchema>;
export type ProviderRuntimeStatus = z.infer<typeof providerStatusSchema>;
export type DeliveryRecord = z.infer<typeof deliveryRecordSchema>;
export type Outcome = DeliveryRecord["outcome"];
export type DeadLetter = z.infer<typeof deadLetterSchema>;
export type DeadLetterDetail = z.infer<typeof deadLetterDetailSchema>;
export type AttemptRecord = z.infer<typeof attemptSchema>;
export type TestOutcome = z.infer<typeof testOutcomeSchema>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
/** Compile-time only: the cluster view schema must describe exactly the ClusterObject's interface. */
export type SchemasMatchInterfaces = [Expect<Same<z.infer<typeof clusterViewSchema>, ClusterView>>];
