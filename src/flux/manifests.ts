import * as z from "../lib/zod";
import { parseBoundedYamlDocuments } from "../lib/bounded-yaml";
import { InvalidManifestError } from "../lib/errors";

export const API_GROUP = "notification.toolkit.fluxcd.io";
export const API_VERSIONS = [`${API_GROUP}/v1beta2`, `${API_GROUP}/v1beta3`] as const;

/** Provider types of notification-controller v1.9 (v1beta3 enum) plus `zoom` and `incident.io` from main. */
export const PROVIDER_TYPES = [
  "slack", "discord", "msteams", "rocket", "generic", "generic-hmac", "github", "gitlab", "gitea",
  "giteapullrequestcomment", "bitbucketserver", "bitbucket", "azuredevops", "googlechat",
  "googlepubsub", "webex", "sentry", "azureeventhub", "telegram", "lark", "matrix", "opsgenie",
  "alertmanager", "grafana", "githubdispatch", "githubpullrequestcomment",
  "gitlabmergerequestcomment", "pagerduty", "datadog", "nats", "zulip", "otel", "zoom", "incident.io",
] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export const COMMIT_STATUS_TYPES: readonly ProviderType[] = ["github", "gitlab", "gitea", "bitbucketserver", "bitbucket", "azuredevops"];
export const CHANGE_REQUEST_TYPES: readonly ProviderType[] = ["githubpullrequestcomment", "gitlabmergerequestcomment", "giteapullrequestcomment"];
export const GENERIC_TYPES: readonly ProviderType[] = ["generic", "generic-hmac"];

/** Event source kinds accepted by the v1beta3 Alert CRD enum. */
export const EVENT_SOURCE_KINDS = [
  "Bucket", "GitRepository", "Kustomization", "HelmRelease", "HelmChart", "HelmRepository",
  "ImageRepository", "ImagePolicy", "ImageUpdateAutomation", "OCIRepository", "ArtifactGenerator",
  "ExternalArtifact",
] as const;

const DNS_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const duration = (units: string) => new RegExp(`^([0-9]+(\\.[0-9]+)?(${units}))+$`);

/**
 * Provider annotation: the least time between two deliveries of this provider, replacing its
 * type's published pace (a Slack Enterprise grid allows more, a webhook shared by several relays less).
 */
export const MIN_INTERVAL_ANNOTATION = "flux-relay.fluxcd.io/min-interval";
// One delivery an hour already dead-letters most of a busy queue at the 24 h maximum age; a
// longer value is far more likely a slip (`10h` for `10s`) than a wish.
const MAX_MIN_INTERVAL_MS = 3_600_000;

const metadataSchema = z.looseObject({
  name: z.string().check(z.minLength(1), z.maxLength(253), z.regex(DNS_NAME, "must be a lower-case RFC 1123 name")),
  namespace: z.optional(z.string().check(z.minLength(1), z.maxLength(63), z.regex(DNS_NAME, "must be a lower-case RFC 1123 name"))),
  uid: z.optional(z.string()),
  generation: z.optional(z.int()),
  labels: z.optional(z.record(z.string(), z.string())),
  annotations: z.optional(z.record(z.string(), z.string())),
});

const localRef = z.object({ name: z.string().check(z.minLength(1)) });

const providerSpecSchema = z.looseObject({
  type: z.enum(PROVIDER_TYPES),
  interval: z.optional(z.string().check(z.regex(duration("ms|s|m|h"), "must be a duration such as 10m"))),
  channel: z.optional(z.string().check(z.maxLength(2048))),
  username: z.optional(z.string().check(z.maxLength(2048))),
  address: z.optional(z.string().check(z.maxLength(2048))),
  timeout: z.optional(z.string().check(z.regex(duration("ms|s|m"), "must be a duration such as 15s (units ms, s, m)"))),
  proxy: z.optional(z.string().check(z.maxLength(2048), z.regex(/^(http|https):\/\/.*$/, "must start with http:// or https://"))),
  proxySecretRef: z.optional(localRef),
  secretRef: z.optional(localRef),
  certSecretRef: z.optional(localRef),
  serviceAccountName: z.optional(z.string()),
  suspend: z._default(z.boolean(), false),
  commitStatusExpr: z.optional(z.string()),
});

export const providerManifestSchema = z.looseObject({
  apiVersion: z.enum(API_VERSIONS),
  kind: z.literal("Provider"),
  metadata: metadataSchema,
  spec: providerSpecSchema,
});

/**
 * The rules that span fields (the v1beta3 CRD's CEL rule on commitStatusExpr, fields v1beta2 does
 * not have, the relay's pace annotation). Checked on the raw document so they are listed in the
 * same 422 as the per-field problems, not only once those are fixed.
 */
function providerCrossFieldProblems(raw: Record<string, any>): string[] {
  const problems: string[] = [];
  const spec = isObject(raw.spec) ? raw.spec : {};
  // Presence is what the CRD tests, so an explicit empty string on another type is refused too.
  if (spec.commitStatusExpr !== undefined && !COMMIT_STATUS_TYPES.includes(spec.type)) {
    problems.push(`spec.commitStatusExpr: spec.commitStatusExpr is only supported for the ${COMMIT_STATUS_TYPES.join(", ")} provider types`);
  }
  const annotations = isObject(raw.metadata) && isObject(raw.metadata.annotations) ? raw.metadata.annotations : {};
  const minInterval = annotations[MIN_INTERVAL_ANNOTATION];
  if (minInterval !== undefined && (typeof minInterval !== "string" || !duration("ms|s|m|h").test(minInterval) || durationMs(minInterval) > MAX_MIN_INTERVAL_MS)) {
    problems.push(`metadata.annotations.${MIN_INTERVAL_ANNOTATION}: must be a duration from 0s to 1h such as 1s or 250ms (units ms, s, m, h), got ${JSON.stringify(minInterval)}`);
  }
  if (typeof raw.apiVersion === "string" && raw.apiVersion.endsWith("/v1beta2")) {
    for (const field of ["commitStatusExpr", "proxySecretRef", "serviceAccountName"]) {
      if (spec[field] !== undefined) problems.push(`spec.${field}: not a field of ${raw.apiVersion}`);
    }
  }
  return problems;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const eventSourceSchema = z.looseObject({
  kind: z.enum(EVENT_SOURCE_KINDS),
  name: z.string().check(z.minLength(1), z.maxLength(253)),
  namespace: z.optional(z.string().check(z.minLength(1), z.maxLength(253))),
  apiVersion: z.optional(z.string()),
  matchLabels: z.nullish(z.record(z.string(), z.string())),
});

const alertSpecSchema = z.looseObject({
  providerRef: localRef,
  eventSeverity: z._default(z.enum(["info", "error"]), "info"),
  eventSources: z.array(eventSourceSchema),
  inclusionList: z._default(z.array(z.string()), []),
  exclusionList: z._default(z.array(z.string()), []),
  eventMetadata: z._default(z.record(z.string(), z.string()), {}),
  summary: z.optional(z.string().check(z.maxLength(255))),
  suspend: z._default(z.boolean(), false),
});

export const alertManifestSchema = z.looseObject({
  apiVersion: z.enum(API_VERSIONS),
  kind: z.literal("Alert"),
  metadata: metadataSchema,
  spec: alertSpecSchema,
});

type WithNamespace<T extends { metadata: { namespace?: string } }> = T & { metadata: T["metadata"] & { namespace: string } };
/** A validated Provider with CRD defaults applied and its namespace resolved. */
export type ProviderManifest = WithNamespace<z.infer<typeof providerManifestSchema>>;
/** A validated Alert with CRD defaults applied and its namespace resolved. */
export type AlertManifest = WithNamespace<z.infer<typeof alertManifestSchema>>;
export type EventSource = z.infer<typeof eventSourceSchema>;
export type ManifestKind = "Provider" | "Alert";

/**
 * Parses one manifest (YAML or JSON text, or an already-parsed value), validates it against the
 * CRD rules and applies defaults. `where` pins the namespace/name the manifest is stored under
 * (its KV key); a manifest without a namespace takes that one. Throws InvalidManifestError with
 * every problem, each prefixed with the field path.
 */
export function parseManifest<K extends ManifestKind>(
  kind: K,
  source: string | unknown,
  where?: { namespace: string; name: string },
): K extends "Provider" ? ProviderManifest : AlertManifest {
  let raw: unknown = source;
  if (typeof source === "string") raw = singleDocument(kind, source);
  const schema = kind === "Provider" ? providerManifestSchema : alertManifestSchema;
  const result = schema.safeParse(raw);
  const details = result.success ? [] : result.error.issues.map(formatIssue);
  if (isObject(raw)) {
    if (kind === "Provider") details.push(...providerCrossFieldProblems(raw));
    const meta = isObject(raw.metadata) ? raw.metadata : {};
    if (where && typeof meta.name === "string" && meta.name !== where.name) {
      details.push(`metadata.name: is ${JSON.stringify(meta.name)} but the object is stored as ${JSON.stringify(where.name)}`);
    }
    if (where && typeof meta.namespace === "string" && meta.namespace !== where.namespace) {
      details.push(`metadata.namespace: is ${JSON.stringify(meta.namespace)} but the object is stored in ${JSON.stringify(where.namespace)}`);
    }
  }
  if (!result.success || details.length > 0) throw new InvalidManifestError(`invalid ${kind} manifest`, details);
  const data = result.data;
  data.metadata.namespace ??= where?.namespace ?? "default";
  return data as never;
}

/**
 * The one manifest in a PUT body. Empty documents (a trailing or leading `---`, as `kubectl get -o
 * yaml` and editors leave them) are ignored; several manifests are refused, since a PUT names one
 * object (`npm run import` takes multi-document files).
 */
function singleDocument(kind: ManifestKind, text: string): unknown {
  let documents: unknown[];
  try {
    documents = parseBoundedYamlDocuments(text);
  } catch (err) {
    throw new InvalidManifestError(`invalid ${kind} manifest`, [`(document): not valid YAML or JSON: ${(err as Error).message}`]);
  }
  const values = documents.filter((value) => value !== null && value !== undefined);
  if (values.length > 1) {
    throw new InvalidManifestError(`invalid ${kind} manifest`, [`(document): the body holds ${values.length} YAML documents; PUT one ${kind} per request (npm run import applies a multi-document file)`]);
  }
  return values[0] ?? null;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  return `${issue.path.join(".") || "(document)"}: ${issue.message}`;
}

/** Parses a Go duration of the CRD's `timeout` form (`1m30s`, `500ms`) into milliseconds. */
export function durationMs(value: string): number {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]];
  return total;
}
