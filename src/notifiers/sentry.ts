import type { FluxEvent } from "../flux/event";
import { encodeFluxEvent } from "../flux/event";
import { toHex } from "../lib/crypto";
import { goJson, sortedRecord } from "../lib/gojson";
import { classifyResponse } from "./classify";
import { decodeUserinfo } from "./kit/http-auth";
import type { Classification, FormatResult, Notifier, NotifyContext, ProviderSettings, ResponseSnapshot } from "./types";
import { FormatError } from "./types";
import { invalidUrl } from "./kit/validate";

/**
 * `sentry`: Flux hands an event to the sentry-go SDK, which Workers cannot run; the relay builds
 * the envelope that SDK would post (`POST <scheme>://<host>/api/<project>/envelope/` derived from
 * the DSN, `X-Sentry-Auth` with the DSN's public key). `info` becomes a transaction whose tags are
 * the object, controller, reason and metadata; `error` an error event with the metadata as the
 * `metadata` context. `channel` is the Sentry environment.
 */
export const sentry: Notifier = {
  type: "sentry",
  validate: (s) => {
    const problem = parseDsn(s.address);
    return typeof problem === "string" ? [invalidUrl(problem)] : [];
  },
  format: formatSentry,
  classify: classifySentry,
};

// The event is shaped as sentry-go 0.46.2 (the SDK of Flux v1.9) shapes it, so it says so.
const SDK = { name: "sentry.go", version: "0.46.2" };

interface Dsn {
  /** `<scheme>://<host>[:port][/path]`, everything before `/api/<project>/`. */
  base: string;
  projectId: string;
  publicKey: string;
  secretKey: string;
}

/** sentry-go's NewDsn rules; returns a problem sentence (never the DSN itself) when invalid. */
function parseDsn(address: string): Dsn | string {
  if (!address) return "no address: set the Sentry DSN in spec.address or the Secret's address key";
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return "invalid address: the Sentry DSN is not an absolute URL (expected https://<key>@<host>/<project>)";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "invalid address: the Sentry DSN must use http or https";
  if (!url.username) return "invalid address: the Sentry DSN has no public key (expected https://<key>@<host>/<project>)";
  if (!url.hostname) return "invalid address: the Sentry DSN has no host";
  const segments = url.pathname.slice(1).split("/");
  const projectId = segments.pop() ?? "";
  if (!projectId) return "invalid address: the Sentry DSN has no project id (expected https://<key>@<host>/<project>)";
  const path = segments.length > 0 ? `/${segments.join("/")}` : "";
  return { base: `${url.protocol}//${url.host}${path}`, projectId, publicKey: decodeUserinfo(url.username), secretKey: decodeUserinfo(url.password) };
}

async function formatSentry({ event, settings, now }: NotifyContext): Promise<FormatResult> {
  // Flux's switch handles info and error only; for anything else sentry-go receives a nil event
  // and reports its own usage error ("CaptureEvent called with nil event") instead, which says
  // nothing about the Flux event, so the relay sends nothing.
  if (event.severity !== "info" && event.severity !== "error") {
    return { skip: `sentry sends only info and error events (got severity ${JSON.stringify(event.severity)})` };
  }
  const dsn = parseDsn(settings.address);
  if (typeof dsn === "string") throw new FormatError(dsn);
  const ids = await eventIds(settings, event);
  const item = event.severity === "info" ? transaction(event, settings, ids, now) : errorEvent(event, settings, ids.eventId, now);
  const payload = goJson(item.body);
  // sentry-go writes each part with json.Encoder, so every line ends in "\n". The optional `dsn`
  // header (for tunnels) is left out: the request goes straight to the DSN's own endpoint.
  const envelope = [
    goJson({ event_id: ids.eventId, sent_at: goTime(now), sdk: SDK }),
    goJson({ type: item.type, length: new TextEncoder().encode(payload).length }),
    payload,
    "",
  ].join("\n");
  let auth = `Sentry sentry_version=7, sentry_client=${SDK.name}/${SDK.version}, sentry_key=${dsn.publicKey}`;
  if (dsn.secretKey) auth += `, sentry_secret=${dsn.secretKey}`;
  return {
    method: "POST",
    url: `${dsn.base}/api/${dsn.projectId}/envelope/`,
    headers: { "Content-Type": "application/x-sentry-envelope", "X-Sentry-Auth": auth },
    body: envelope,
  };
}

interface Ids {
  eventId: string;
  traceId: string;
  spanId: string;
}

/**
 * The SDK draws random ids; here they derive from the provider and the event, so a retried
 * delivery carries the same event_id and Sentry drops it as a duplicate if an earlier attempt
 * did arrive. The event_id keeps the UUIDv4 version and variant bits the SDK sets.
 */
async function eventIds(settings: ProviderSettings, event: FluxEvent): Promise<Ids> {
  const seed = `${settings.namespace}/${settings.name}/${settings.uid}\n${encodeFluxEvent(event)}`;
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-512", new TextEncoder().encode(seed)));
  const uuid = bytes.slice(0, 16);
  uuid[6] = (uuid[6] & 0x0f) | 0x40;
  uuid[8] = (uuid[8] & 0x3f) | 0x80;
  return { eventId: toHex(uuid), traceId: toHex(bytes.slice(16, 32)), spanId: toHex(bytes.slice(32, 40)) };
}

function summary(event: FluxEvent): string {
  const { kind, namespace, name } = event.involvedObject;
  return `${kind}: ${namespace}/${name}`;
}

// Fields below follow sentry-go's Event struct order; empty `omitempty` fields are left out.

function transaction(event: FluxEvent, settings: ProviderSettings, ids: Ids, now: number) {
  const obj = event.involvedObject;
  // Span tags first, then every metadata key, which may overwrite them (span.SetTag order).
  const tags = sortedRecord({
    flux_involved_object_kind: obj.kind,
    flux_involved_object_namespace: obj.namespace,
    flux_involved_object_name: obj.name,
    flux_reporting_controller: event.reportingController,
    flux_reporting_instance: event.reportingInstance,
    flux_reason: event.reason,
    ...event.metadata,
  });
  const time = eventTime(event, now);
  const body: Record<string, unknown> = { contexts: { trace: { op: "event", span_id: ids.spanId, trace_id: ids.traceId } } };
  common(body, event, settings, ids.eventId, "info");
  Object.assign(body, { tags, timestamp: time, transaction: summary(event), type: "transaction", start_timestamp: time });
  return { type: "transaction", body };
}

function errorEvent(event: FluxEvent, settings: ProviderSettings, eventId: string, now: number) {
  const body: Record<string, unknown> = { contexts: { metadata: sortedRecord(event.metadata) } };
  common(body, event, settings, eventId, "error");
  if (event.reportingController) body.server_name = event.reportingController;
  Object.assign(body, { timestamp: eventTime(event, now), transaction: summary(event) });
  return { type: "event", body };
}

function common(body: Record<string, unknown>, event: FluxEvent, settings: ProviderSettings, eventId: string, level: string): void {
  if (settings.channel) body.environment = settings.channel;
  body.event_id = eventId;
  body.level = level;
  if (event.message) body.message = event.message;
  body.platform = "go";
  body.sdk = SDK;
}

/** The event time, or the send time when the event has none (the SDK's prepareEvent). */
function eventTime(event: FluxEvent, now: number): string {
  return event.timestamp ?? goTime(now);
}

/** A time as Go's time.Time marshals it in UTC: RFC 3339 with trailing fractional zeros trimmed. */
function goTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0*Z$/, "Z");
}

/**
 * Sentry rate limits answer 429 with `X-Sentry-Rate-Limits: <seconds>:<categories>:<scope>...`
 * (develop.sentry.dev, SDK rate limiting); the longest wait that covers error or transaction
 * events (or all categories) is the retry delay, before the generic Retry-After.
 */
function classifySentry(res: ResponseSnapshot): Classification | undefined {
  const base = classifyResponse(res);
  if (res.status !== 429 || base.outcome !== "retry") return undefined;
  let waitSeconds = -1;
  for (const limit of (res.headers.get("x-sentry-rate-limits") ?? "").split(",")) {
    const [seconds, categories = ""] = limit.trim().split(":");
    const covered = categories === "" || categories.split(";").some((c) => c === "error" || c === "transaction" || c === "default");
    const value = Number(seconds);
    if (limit.trim() && covered && Number.isFinite(value)) waitSeconds = Math.max(waitSeconds, value);
  }
  return waitSeconds >= 0 ? { ...base, reason: `rate limited by Sentry: ${base.reason}`, retryAfterMs: Math.ceil(waitSeconds * 1000) } : undefined;
}
