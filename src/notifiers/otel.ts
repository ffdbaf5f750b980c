import { encodeFluxEvent, type FluxEvent } from "../flux/event";
import { sha256Hex } from "../lib/crypto";
import { compareBytes } from "../lib/gojson";
import { classifyResponse } from "./classify";
import { httpUrlProblem, problems } from "./kit/validate";
import { setHeader } from "./generic";
import { basicAuth, tokenOrPassword } from "./kit/http-auth";
import { jsonObject } from "./kit/text";
import { FormatError, type Classification, type FormatResult, type Notifier, type NotifyContext, type ProviderSettings, type ResponseSnapshot } from "./types";

/**
 * `otel`: one span per event, exported to an OTLP/HTTP traces endpoint as Flux's OTLPTracer
 * builds it with the Go SDK (v1.44): trace id from the Alert's uid and the revision, so every
 * object reconciling one revision lands in one trace; resource = the Alert. The relay sends
 * OTLP's JSON encoding where the Go exporter sends protobuf; collectors accept both on the same
 * path. Flux swallows export errors; the relay retries what OTLP calls retryable.
 */
export const otel: Notifier = {
  type: "otel",
  validate: (s) => problems(httpUrlProblem(s.address)),
  format: formatOtel,
  classify: classifyOtlp,
};

/** semconv v1.34.0, the schema of the resource Flux builds. */
const SCHEMA_URL = "https://opentelemetry.io/schemas/1.34.0";
const SPAN_KIND_INTERNAL = 1;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
/** W3C sampled flag, plus "whether the parent is remote is known" and "it is" (SpanFlags). */
const SPAN_FLAGS = 0x01 | 0x100 | 0x200;

type KeyValue = { key: string; value: { stringValue: string } };

async function formatOtel({ event, settings, alert, now }: NotifyContext): Promise<FormatResult> {
  if (!alert) {
    throw new FormatError("alert metadata not found in context: an otel trace is built from the Alert that routed the event, and a test send has none");
  }
  // Flux does not count HelmRepositories as a source of a deployment's trace.
  if (event.involvedObject.kind === "HelmRepository") return { skip: "otel skips HelmRepository events, as Flux does" };
  const { namespace: alertNamespace, name: alertName, uid: alertUid = "" } = alert.metadata;
  // The first 16 bytes of SHA-256("<alert uid>:<revision>").
  const traceId = (await sha256Hex(`${alertUid}:${revision(event.metadata)}`)).slice(0, 32);
  // The SDK draws a random span id; one derived from the trace and the event keeps a retried
  // export the same span, so backends that deduplicate by id keep one.
  const spanId = (await sha256Hex(`${traceId}\n${encodeFluxEvent(event)}`)).slice(0, 16);
  const { attributes, dropped } = spanAttributes(event);
  const status = event.severity === "error" ? { code: STATUS_ERROR, message: event.message } : { code: STATUS_OK };
  const span: Record<string, unknown> = {
    traceId,
    spanId,
    name: `${event.involvedObject.kind}: ${event.involvedObject.namespace}/${event.involvedObject.name}`,
    kind: SPAN_KIND_INTERNAL,
    // The SDK starts a span at the event time, or now when the event has none; it ends it now.
    startTimeUnixNano: unixNano(event.timestamp ? Date.parse(event.timestamp) : now),
    endTimeUnixNano: unixNano(now),
    attributes,
  };
  if (dropped > 0) span.droppedAttributesCount = dropped;
  span.status = status;
  span.flags = SPAN_FLAGS;
  const body = {
    resourceSpans: [
      {
        // attribute.Set order: sorted by key.
        resource: {
          attributes: [
            stringAttribute("service.instance.id", alertUid),
            stringAttribute("service.name", `${alertNamespace}/${alertName}`),
            stringAttribute("service.namespace", alertNamespace),
          ],
        },
        scopeSpans: [{ scope: { name: "flux:notification-controller" }, spans: [span] }],
        schemaUrl: SCHEMA_URL,
      },
    ],
  };
  return { method: "POST", url: endpoint(settings.address), headers: otlpHeaders(settings), body: JSON.stringify(body) };
}

/**
 * Flux's getRevision: `<app-version>@<oci-digest>` when an OCIRepository reports both, else
 * metadata `revision`, else `unknown`.
 */
function revision(metadata: Record<string, string>): string {
  if (Object.hasOwn(metadata, "oci-digest") && Object.hasOwn(metadata, "app-version")) return `${metadata["app-version"]}@${metadata["oci-digest"]}`;
  return Object.hasOwn(metadata, "revision") ? metadata.revision : "unknown";
}

/**
 * The object's four attributes, then one per metadata key (sorted: Go ranges over a map). As the
 * SDK does, a repeated key keeps its first place and its last value, and an empty key is dropped
 * and counted.
 */
function spanAttributes(event: FluxEvent): { attributes: KeyValue[]; dropped: number } {
  const { uid, kind, name, namespace } = event.involvedObject;
  const pairs: [string, string][] = [
    ["object.uid", uid],
    ["object.kind", kind],
    ["object.name", name],
    ["object.namespace", namespace],
    ...Object.keys(event.metadata)
      .sort(compareBytes)
      .map((key): [string, string] => [key, event.metadata[key]]),
  ];
  const values = new Map<string, string>();
  let dropped = 0;
  for (const [key, value] of pairs) {
    if (key === "") dropped++;
    else values.set(key, value);
  }
  return { attributes: [...values].map(([key, value]) => stringAttribute(key, value)), dropped };
}

function stringAttribute(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

/** OTLP/JSON writes 64-bit integers as decimal strings; negative times (before 1970) become 0 as in the exporter. */
function unixNano(ms: number): string {
  return ms > 0 ? (BigInt(ms) * 1_000_000n).toString() : "0";
}

/**
 * otlptracehttp's WithEndpointURL: host and path of the address; plain http unless the scheme is
 * https. The query and any userinfo are not sent.
 */
function endpoint(address: string): string {
  const url = new URL(address);
  return `${url.protocol === "https:" ? "https" : "http"}://${url.host}${url.pathname}`;
}

/**
 * Flux's NewOTLPTracer: the Secret's headers, and only when there are some, an Authorization
 * unless they carry one: Bearer <token> without a username, else Basic username:token (the token
 * falls back to the password). Then the exporter's Content-Type, which no header overrides.
 */
function otlpHeaders(settings: ProviderSettings): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings.headers)) setHeader(headers, name, value);
  const token = tokenOrPassword(settings);
  const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === "authorization");
  if (Object.keys(headers).length > 0 && !hasAuthorization) {
    if (!settings.username) headers.Authorization = `Bearer ${token}`;
    else if (token) headers.Authorization = basicAuth(settings.username, token);
  }
  setHeader(headers, "Content-Type", "application/json");
  return headers;
}

const RETRYABLE = new Set([429, 502, 503, 504]);

/**
 * OTLP/HTTP's rules, as the Go exporter applies them: only 429, 502, 503 and 504 are retried
 * (honouring Retry-After); any other failure is final. A 2xx that reports rejected spans
 * (`partialSuccess`) is final too: sending the same span again would be rejected again.
 */
function classifyOtlp(res: ResponseSnapshot): Classification | undefined {
  const base = classifyResponse(res);
  if (base.outcome === "delivered") {
    const partial = jsonObject(res.body)?.partialSuccess as { rejectedSpans?: unknown; errorMessage?: unknown } | undefined;
    const rejected = Number(partial?.rejectedSpans ?? 0);
    if (rejected > 0) return { outcome: "permanent", reason: `the collector rejected ${rejected} span(s): ${String(partial?.errorMessage ?? "")}`.slice(0, 300) };
    return undefined;
  }
  if (base.outcome === "retry" && !RETRYABLE.has(res.status)) return { outcome: "permanent", reason: base.reason };
  return undefined;
}
