import * as z from "zod";
import type { Condition } from "../delivery/status";
import type { DeadLetter, DeliveryRecord, ProviderRuntimeStatus, TestOutcome } from "../delivery/provider-object";
import type { ClusterView } from "../ingress/cluster-object";

/**
 * zod schemas of what the admin API answers. They describe the Durable Object's TypeScript
 * interfaces; the `Same` checks below fail the build when the two drift apart, so the OpenAPI
 * document generated from these schemas stays true.
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
  counters: countersSchema,
});

export const deliveryRecordSchema = z.object({
  id: z.number().int(),
  at: epochMs,
  messageId: z.number().int().nullable().describe("outbox message id; null for test sends"),
  attempt: z.number().int(),
  outcome: z.enum(["delivered", "retry", "dead-letter", "skipped", "test", "suppressed", "silenced"]),
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

export const testOutcomeSchema = z.object({
  outcome: z.enum(["delivered", "retry", "dead-letter", "skipped", "test", "suppressed", "silenced", "failed"]),
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

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
/** Compile-time only: each schema must describe exactly its interface. */
export type SchemasMatchInterfaces = [
  Expect<Same<z.infer<typeof conditionSchema>, Condition>>,
  Expect<Same<z.infer<typeof providerStatusSchema>, ProviderRuntimeStatus>>,
  Expect<Same<z.infer<typeof deliveryRecordSchema>, DeliveryRecord>>,
  Expect<Same<z.infer<typeof deadLetterSchema>, DeadLetter>>,
  Expect<Same<z.infer<typeof testOutcomeSchema>, TestOutcome>>,
  Expect<Same<z.infer<typeof clusterViewSchema>, ClusterView>>,
];
