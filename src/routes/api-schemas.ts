import * as z from "zod";
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
  lastTransitionTime: z.string().describe("RFC 3339, kept while the condition's status is unchanged"),
});

export const countersSchema = z.object({
  received: z.number().int().describe("deliveries stored in the outbox"),
  delivered: z.number().int(),
  retried: z.number().int().describe("failed attempts scheduled again"),
  deadLettered: z.number().int(),
  dropped: z.number().int().describe("events dropped while the provider was suspended"),
  skipped: z.number().int().describe("deliveries with nothing to send (e.g. an identical commit status)"),
  suppressed: z.number().int().describe("deliveries noise control decided not to send"),
  silenced: z.number().int().describe("deliveries a silence matched"),
  refused: z.number().int().describe("deliveries refused because the outbox was full (dead letter QueueFull)"),
  deadLettersDropped: z.number().int().describe("oldest dead letters removed to keep the dead letter cap"),
});

const epochMs = z.number().int().describe("milliseconds since the Unix epoch");

export const providerStatusSchema = z.object({
  conditions: z.array(conditionSchema),
  observedGeneration: z.number().int(),
  lastHandledReconcileAt: z.string().optional(),
  suspended: z.boolean().describe("the relay's own suspend flag (effective suspend = spec.suspend OR this)"),
  queueDepth: z.number().int(),
  deadLetters: z.number().int(),
  oldestQueuedAt: epochMs.nullable(),
  nextAttemptAt: epochMs.nullable(),
  lastDeliveryAt: epochMs.nullable(),
  lastError: z.object({ at: epochMs, message: z.string().describe("secrets redacted") }).nullable(),
  lastTest: z.object({ at: epochMs, outcome: z.enum(["delivered", "failed", "checked"]), error: z.string().nullable() }).nullable(),
  counters: countersSchema,
  hourly: z.array(z.object({ hour: epochMs.describe("start of the hour"), delivered: z.number().int(), failed: z.number().int() }))
    .describe("the last 7 days, oldest first; failed = retried + dead-lettered"),
  latency: z.object({ p50Ms: z.number().nullable(), p99Ms: z.number().nullable() }).describe("attempt latency estimated from the histogram"),
});

export const OUTCOMES = ["delivered", "retried", "dead-lettered", "skipped", "suppressed", "silenced", "dropped", "refused", "failed", "checked"] as const;

export const deliveryRecordSchema = z.object({
  id: z.number().int(),
  at: epochMs,
  messageId: z.number().int().nullable().describe("outbox message id; null for test sends"),
  attempt: z.number().int(),
  outcome: z.enum(OUTCOMES).describe("failed and checked only for test sends"),
  test: z.boolean(),
  status: z.number().int().nullable().describe("HTTP status of the destination's answer"),
  latencyMs: z.number().int(),
  error: z.string().nullable().describe("secrets redacted"),
  alert: z.string().nullable().describe("<namespace>/<name> of the Alert"),
  cluster: z.string().describe("the sending cluster; empty for test sends"),
  summary: z.string(),
});

export const deadLetterSchema = z.object({
  id: z.number().int(),
  enqueuedAt: epochMs,
  failedAt: epochMs,
  attempts: z.number().int(),
  reason: z.string().describe("secrets redacted"),
  alert: z.string().nullable(),
  cluster: z.string().describe("the sending cluster"),
  summary: z.string(),
});

export const attemptSchema = z.object({
  at: epochMs,
  attempt: z.number().int(),
  status: z.number().int().nullable(),
  latencyMs: z.number().int(),
  error: z.string().nullable().describe("secrets redacted"),
});

export const deadLetterDetailSchema = deadLetterSchema.extend({
  event: z.record(z.string(), z.unknown()).describe("the Flux event as it would be sent"),
  attemptLog: z.array(attemptSchema).describe("every failed attempt, oldest first"),
});

export const retryResultSchema = z.object({ nextAttemptAt: epochMs.nullable().describe("null when the outbox is empty") });

export const testOutcomeSchema = z.object({
  outcome: z.enum(["delivered", "failed", "checked"]).describe("checked: a read-only check of the token and repository (commit-status and comment types)"),
  status: z.number().int().nullable(),
  latencyMs: z.number().int(),
  error: z.string().nullable(),
});

export const alertStatusSchema = z.object({
  conditions: z.array(conditionSchema.omit({ lastTransitionTime: true })),
  observedGeneration: z.number().int(),
  dispatchFailures: z.array(z.object({ at: epochMs, reason: z.string(), message: z.string() })),
  noise: z.object({ suppressed: z.number().int(), silenced: z.number().int() }).describe("events of this Alert held back by noise control and silences"),
});

export const invalidEntrySchema = z.object({
  key: z.string().describe("KV key"),
  kind: z.enum(["Provider", "Alert"]),
  details: z.array(z.string()),
});

export const errorSchema = z.object({
  error: z.string(),
  details: z.array(z.string()).describe("every problem found, each prefixed with its field path"),
});

export const idsBodySchema = z
  .object({ ids: z.array(z.number().int().positive()).optional().describe("dead letter ids; all when absent") })
  .strict();

export const replayResultSchema = z.object({ replayed: z.number().int() });
export const discardResultSchema = z.object({ discarded: z.number().int() });
export const deletedSchema = z.object({ deleted: z.string().describe("the KV key removed") });

const intakeCountsSchema = z.object({
  accepted: z.number().int().describe("events committed with at least one routed delivery"),
  duplicate: z.number().int().describe("same event from this cluster inside the dedup window"),
  unmatched: z.number().int().describe("stored as received, but no Alert took it"),
  invalid: z.number().int().describe("refused after authentication (400)"),
});

export const clusterViewSchema = z.object({
  name: z.string(),
  lastEventAt: epochMs.nullable(),
  counts: intakeCountsSchema,
  backlog: z.number().int().describe("routed deliveries not yet forwarded to their providers' outboxes"),
  lastError: z.object({ at: epochMs, message: z.string() }).nullable().describe("last forwarding failure"),
  hourly: z.array(intakeCountsSchema.extend({ hour: epochMs.describe("start of the hour") })).describe("the last 7 days, oldest first"),
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
