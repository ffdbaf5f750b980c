import * as z from "../lib/zod";
import { alertManifestSchema, providerManifestSchema } from "../flux/manifests";
import {
  alertStatusSchema,
  clusterViewSchema,
  deadLetterDetailSchema,
  deadLetterSchema,
  deletedSchema,
  deliveryRecordSchema,
  discardResultSchema,
  errorSchema,
  idsBodySchema,
  invalidEntrySchema,
  providerStatusSchema,
  replayResultSchema,
  retryResultSchema,
  testOutcomeSchema,
} from "./api-schemas";
import { silenceInputSchema, silenceViewSchema } from "../rules/silences";
import { alertPreviewSchema } from "./preview";

type JsonSchema = Record<string, unknown>;
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/**
 * Every component schema, converted from the zod schemas the Worker validates and answers with.
 * Responses use the output shape (CRD defaults applied); PUT bodies use the input shape.
 */
function componentSchemas(): Record<string, JsonSchema> {
  const out = z.registry<{ id: string }>();
  const provider = z.intersection(providerManifestSchema, z.object({ status: providerStatusSchema }));
  const alert = z.intersection(alertManifestSchema, z.object({ status: alertStatusSchema }));
  const list = <T extends z.ZodMiniType>(item: T) => z.object({ apiVersion: z.literal("v1"), kind: z.literal("List"), items: z.array(item), invalid: z.array(invalidEntrySchema) });
  out.add(providerStatusSchema, { id: "ProviderStatus" });
  out.add(alertStatusSchema, { id: "AlertStatus" });
  out.add(provider, { id: "Provider" });
  out.add(alert, { id: "Alert" });
  out.add(invalidEntrySchema, { id: "InvalidEntry" });
  out.add(list(provider), { id: "ProviderList" });
  out.add(list(alert), { id: "AlertList" });
  out.add(z.object({ items: z.array(deliveryRecordSchema) }), { id: "DeliveryList" });
  out.add(z.object({ items: z.array(deadLetterSchema) }), { id: "DeadLetterList" });
  out.add(deadLetterDetailSchema, { id: "DeadLetterDetail" });
  out.add(retryResultSchema, { id: "RetryResult" });
  out.add(testOutcomeSchema, { id: "TestOutcome" });
  out.add(clusterViewSchema, { id: "Cluster" });
  out.add(z.object({ items: z.array(clusterViewSchema) }), { id: "ClusterList" });
  out.add(replayResultSchema, { id: "ReplayResult" });
  out.add(discardResultSchema, { id: "DiscardResult" });
  out.add(deletedSchema, { id: "Deleted" });
  out.add(errorSchema, { id: "Error" });
  out.add(idsBodySchema, { id: "DeadLetterSelection" });
  out.add(silenceViewSchema, { id: "Silence" });
  out.add(z.object({ items: z.array(silenceViewSchema) }), { id: "SilenceList" });
  out.add(alertPreviewSchema, { id: "AlertPreview" });
  const inputs = z.registry<{ id: string }>();
  inputs.add(providerManifestSchema, { id: "ProviderManifest" });
  inputs.add(alertManifestSchema, { id: "AlertManifest" });
  inputs.add(silenceInputSchema, { id: "SilenceInput" });
  const convert = (registry: z.core.$ZodRegistry<{ id: string }>, io: "input" | "output") =>
    z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}`, unrepresentable: "any" }).schemas as Record<string, JsonSchema>;
  const schemas = { ...convert(out, "output"), ...convert(inputs, "input") };
  // OpenAPI 3.1 components are plain JSON Schema 2020-12 documents inside one file: no own dialect or base URI.
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  return schemas;
}

const json = (schema: JsonSchema) => ({ "application/json": { schema } });
const ok = (description: string, schema: JsonSchema, yaml = false) => ({
  description,
  content: { ...json(schema), ...(yaml ? { "application/yaml": { schema } } : {}) },
});
const error = (description: string) => ({ description, content: json(ref("Error")) });
const errors = {
  401: error("missing or wrong admin token"),
};
const notFound = { 404: error("no such object") };
const path = (kind: "providers" | "alerts") => `/api/v1/${kind}/{namespace}/{name}`;
const objectParams = [
  { name: "namespace", in: "path", required: true, schema: { type: "string" } },
  { name: "name", in: "path", required: true, schema: { type: "string" } },
];
const formatParam = { name: "format", in: "query", required: false, schema: { type: "string", enum: ["json", "yaml"] }, description: "yaml answers application/yaml" };
const limitParam = { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } };

function objectPaths(kind: "providers" | "alerts", single: "Provider" | "Alert") {
  const stored = {
    422: error(`the stored ${single} is invalid: details lists every problem`),
  };
  return {
    [`/api/v1/${kind}`]: {
      get: { operationId: `list${single}s`, parameters: [formatParam], responses: { 200: ok(`every valid ${single} with its status, and the invalid KV entries`, ref(`${single}List`), true), ...errors } },
    },
    [path(kind)]: {
      parameters: objectParams,
      get: { operationId: `get${single}`, parameters: [formatParam], responses: { 200: ok(`the ${single} as Flux shows it, with status`, ref(single), true), ...errors, ...notFound, ...stored } },
      put: {
        operationId: `put${single}`,
        description: `Validates a ${single} manifest (YAML or JSON, notification.toolkit.fluxcd.io/v1beta2 or v1beta3) and writes it to KV under ${kind}/<namespace>/<name>; nothing is written when it is invalid.`,
        parameters: [formatParam],
        requestBody: { required: true, content: { ...json(ref(`${single}Manifest`)), "application/yaml": { schema: ref(`${single}Manifest`) } } },
        responses: {
          200: ok("replaced", ref(single), true),
          201: ok("created", ref(single), true),
          ...errors,
          413: error("manifest too large"),
          422: error("invalid manifest: details lists every problem"),
        },
      },
      delete: { operationId: `delete${single}`, responses: { 200: ok("deleted", ref("Deleted")), ...errors, ...notFound } },
    },
  };
}

function providerActions() {
  const base = path("providers");
  const action = (operationId: string, description: string, responses: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    parameters: objectParams,
    post: { operationId, description, ...extra, responses: { ...responses, ...errors, ...notFound } },
  });
  const selection = { requestBody: { required: false, content: json(ref("DeadLetterSelection")) } };
  return {
    [`${base}/suspend`]: action("suspendProvider", "Sets the relay's suspend flag: new events for the provider are dropped (Flux semantics) and counted.", { 200: ok("the Provider", ref("Provider"), true) }),
    [`${base}/resume`]: action("resumeProvider", "Clears the relay's suspend flag and resumes draining the outbox.", { 200: ok("the Provider", ref("Provider"), true) }),
    [`${base}/retry`]: action("retryProvider", "Makes the head of the outbox due now, ignoring its backoff.", { 200: ok("when the head is tried", ref("RetryResult")) }),
    [`${base}/test`]: action("testProvider", "Sends a marked test event right away through the same format/send/classify path as queued events; commit-status and comment types instead check their token and repository with one read-only GET.", { 200: ok("what the destination answered", ref("TestOutcome")) }),
    [`${base}/deliveries`]: { parameters: objectParams, get: { operationId: "listDeliveries", parameters: [limitParam, formatParam], responses: { 200: ok("delivery attempts, newest first", ref("DeliveryList"), true), ...errors, ...notFound } } },
    [`${base}/deadletters`]: { parameters: objectParams, get: { operationId: "listDeadLetters", parameters: [limitParam, formatParam], responses: { 200: ok("dead letters, oldest first", ref("DeadLetterList"), true), ...errors, ...notFound } } },
    [`${base}/deadletters/{id}`]: {
      parameters: [...objectParams, { name: "id", in: "path", required: true, schema: { type: "integer", minimum: 1 } }],
      get: { operationId: "getDeadLetter", parameters: [formatParam], responses: { 200: ok("the dead letter with its event, cluster and failed attempts", ref("DeadLetterDetail"), true), 400: error("invalid id"), ...errors, ...notFound } },
    },
    [`${base}/deadletters/replay`]: action("replayDeadLetters", "Moves dead letters (all, or the given ids) back to the tail of the outbox.", { 200: ok("how many", ref("ReplayResult")), 400: error("invalid body") }, selection),
    [`${base}/deadletters/discard`]: action("discardDeadLetters", "Deletes dead letters (all, or the given ids).", { 200: ok("how many", ref("DiscardResult")), 400: error("invalid body") }, selection),
  };
}

function silencePaths() {
  const idParam = [{ name: "id", in: "path", required: true, schema: { type: "string" } }];
  return {
    "/api/v1/silences": {
      get: { operationId: "listSilences", responses: { 200: ok("every silence, active first; expired ones for 7 days", ref("SilenceList")), ...errors } },
      post: {
        operationId: "createSilence",
        description: "Silences events matching every matcher (globs with `*`, `message` an RE2 expression) from startsAt (default now) to endsAt (at most 30 days away).",
        requestBody: { required: true, content: json(ref("SilenceInput")) },
        responses: { 201: ok("created", ref("Silence")), 400: error("not JSON"), ...errors, 409: error("too many live silences"), 422: error("invalid silence: details names each field") },
      },
    },
    "/api/v1/silences/{id}": {
      parameters: idParam,
      get: { operationId: "getSilence", responses: { 200: ok("the silence", ref("Silence")), ...errors, ...notFound } },
      delete: { operationId: "expireSilence", description: "Expires the silence now; it stays listed as expired for 7 days.", responses: { 200: ok("the expired silence", ref("Silence")), ...errors, ...notFound } },
    },
  };
}

function previewPaths() {
  return {
    [`${path("alerts")}/preview`]: {
      parameters: objectParams,
      post: {
        operationId: "previewAlert",
        description: "The exact request the Alert's provider would send for an event as a cluster posts it (or, with an empty body, a sample event per severity), with secrets redacted, noise control's decision and the rendered templates. Sends nothing.",
        parameters: [{ name: "cluster", in: "query", required: false, schema: { type: "string", pattern: "^[a-z0-9-]{1,63}$" }, description: "the sending cluster to assume" }],
        requestBody: { required: false, content: json({ type: "object", description: "a Flux event" }) },
        responses: { 200: ok("one preview per event", ref("AlertPreview")), 400: error("the event or the cluster is invalid"), ...errors, ...notFound, 413: error("event too large"), 422: error("the stored Alert is invalid") },
      },
    },
  };
}

let cached: JsonSchema | undefined;

/** The OpenAPI 3.1 description of the admin API, built from the zod schemas once per isolate. */
export function openApiDocument(): JsonSchema {
  cached ??= {
    openapi: "3.1.0",
    info: {
      title: "flux-relay admin API",
      version: "v1",
      description: "Flux Provider and Alert configuration, delivery status, history and dead letters. Every route needs `Authorization: Bearer <ADMIN_TOKEN>`.",
    },
    security: [{ adminToken: [] }],
    paths: {
      "/api/v1/openapi.json": { get: { operationId: "openapi", responses: { 200: { description: "this document", content: { "application/json": { schema: { type: "object" } } } }, ...errors } } },
      ...objectPaths("providers", "Provider"),
      ...providerActions(),
      ...objectPaths("alerts", "Alert"),
      ...silencePaths(),
      "/api/v1/clusters": { get: { operationId: "listClusters", responses: { 200: ok("every known cluster: INGRESS_KEYS names and clusters that sent an event", ref("ClusterList")), ...errors } } },
      "/api/v1/clusters/{cluster}": {
        parameters: [{ name: "cluster", in: "path", required: true, schema: { type: "string", pattern: "^[a-z0-9-]{1,63}$" } }],
        get: { operationId: "getCluster", responses: { 200: ok("the cluster's intake counters, backlog and hourly buckets", ref("Cluster")), 400: error("not a cluster name"), ...errors, ...notFound } },
      },
      ...previewPaths(),
    },
    components: {
      securitySchemes: { adminToken: { type: "http", scheme: "bearer", description: "the ADMIN_TOKEN secret" } },
      schemas: componentSchemas(),
    },
  };
  return cached;
}
