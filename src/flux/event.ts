import * as z from "../lib/zod";
import { BadRequestError } from "../lib/errors";
import { goJson, sortedRecord } from "../lib/gojson";

/** Prefix of metadata keys that come from annotations of the Flux object. */
export const EVENT_GROUP = "event.toolkit.fluxcd.io";

/** Kubernetes ObjectReference as carried by a Flux event, fields in Go declaration order. */
export interface ObjectReference {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  apiVersion: string;
  resourceVersion: string;
  fieldPath: string;
}

/** A Flux event (fluxcd/pkg/apis/event/v1beta1 Event) after decoding. */
export interface FluxEvent {
  involvedObject: ObjectReference;
  severity: string;
  /** RFC 3339, second precision, UTC (`Z`), or null when the event had none. */
  timestamp: string | null;
  message: string;
  reason: string;
  metadata: Record<string, string>;
  reportingController: string;
  reportingInstance: string;
}

const OBJECT_FIELDS = ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"] as const;
const EVENT_FIELDS = [
  "involvedObject",
  "severity",
  "timestamp",
  "message",
  "reason",
  "metadata",
  "reportingController",
  "reportingInstance",
] as const;

// Go decodes JSON null into a string field as "no change", i.e. the empty string.
const goString = z.pipe(z.nullish(z.string()), z.transform((v) => v ?? ""));

// RFC 3339 as Go's time.Time.UnmarshalJSON accepts it (fractional seconds optional, Z or offset).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const timestamp = z.pipe(
  z.nullish(z.string()),
  z.transform((value, ctx) => {
    if (value === null || value === undefined) return null;
    const ms = RFC3339.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) {
      ctx.issues.push({ code: "custom", input: value, message: `must be an RFC 3339 time or null, got ${JSON.stringify(value.slice(0, 64))}` });
      return z.NEVER;
    }
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  }),
);

const objectReference = z.pipe(
  z.nullish(z.object(Object.fromEntries(OBJECT_FIELDS.map((f) => [f, goString])) as Record<(typeof OBJECT_FIELDS)[number], typeof goString>)),
  z.transform((v) => v ?? Object.fromEntries(OBJECT_FIELDS.map((f) => [f, ""]))),
);

/**
 * Go's map[string]string: null or absent is empty, every value must be a string. Built with
 * defineProperty because a `__proto__` key is an ordinary key in Go (zod's record drops it).
 */
function stringMap(value: unknown, ctx: z.core.ParsePayload): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === null || value === undefined) return out;
  if (typeof value !== "object" || Array.isArray(value)) {
    ctx.issues.push({ code: "custom", input: value, message: "must be an object of strings" });
    return z.NEVER;
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") {
      ctx.issues.push({ code: "custom", input: value, path: [key], message: `must be a string, got ${v === null ? "null" : typeof v}` });
      continue;
    }
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** zod schema of the Flux event as it arrives (after Go-style case-insensitive key folding). */
export const fluxEventSchema = z.object({
  involvedObject: objectReference,
  severity: goString,
  timestamp,
  message: goString,
  reason: goString,
  metadata: z.pipe(z.optional(z.unknown()), z.transform(stringMap)),
  reportingController: goString,
  reportingInstance: goString,
});

/**
 * Decodes a request body into a FluxEvent with Go encoding/json semantics: field names match
 * case-insensitively, unknown fields are ignored, `null` and `{}` are accepted. Throws a
 * BadRequestError naming the field on anything Go would refuse.
 */
export function parseFluxEvent(body: string): FluxEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    throw new BadRequestError(`request body is not valid JSON: ${(err as Error).message}`);
  }
  if (raw !== null && (typeof raw !== "object" || Array.isArray(raw))) {
    throw new BadRequestError("request body must be a JSON object (a Flux event)");
  }
  const folded = foldKeys(raw ?? {}, EVENT_FIELDS_BY_LOWER);
  if (folded.involvedObject && typeof folded.involvedObject === "object" && !Array.isArray(folded.involvedObject)) {
    folded.involvedObject = foldKeys(folded.involvedObject, OBJECT_FIELDS_BY_LOWER);
  }
  const result = fluxEventSchema.safeParse(folded);
  if (!result.success) {
    const details = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new BadRequestError(`invalid Flux event: ${details[0]}`, details);
  }
  return result.data as FluxEvent;
}

const lowerCased = (fields: readonly string[]) => new Map(fields.map((f) => [f.toLowerCase(), f]));
const EVENT_FIELDS_BY_LOWER = lowerCased(EVENT_FIELDS);
const OBJECT_FIELDS_BY_LOWER = lowerCased(OBJECT_FIELDS);

/** Maps each key to the canonical field name it matches case-insensitively (last one wins). */
function foldKeys(obj: object, byLower: ReadonlyMap<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    const canonical = byLower.get(key.toLowerCase());
    if (canonical) out[canonical] = value;
  }
  return out;
}

/**
 * The API group of the involved object (`kustomize.toolkit.fluxcd.io`): empty for a core
 * `v1`, and for anything Go's schema.ParseGroupVersion refuses (more than one `/`).
 */
export function objectGroup(event: Pick<FluxEvent, "involvedObject">): string {
  const parts = event.involvedObject.apiVersion.split("/");
  return parts.length === 2 ? parts[0] : "";
}

/** The event as Go's encoding/json writes it: Flux's generic webhook body, byte for byte. */
export function encodeFluxEvent(event: FluxEvent): string {
  const obj: Record<string, string> = {};
  for (const f of OBJECT_FIELDS) if (event.involvedObject[f]) obj[f] = event.involvedObject[f];
  const out: Record<string, unknown> = {
    involvedObject: obj,
    severity: event.severity,
    timestamp: event.timestamp,
    message: event.message,
    reason: event.reason,
  };
  if (Object.keys(event.metadata).length > 0) out.metadata = sortedRecord(event.metadata);
  out.reportingController = event.reportingController;
  if (event.reportingInstance) out.reportingInstance = event.reportingInstance;
  return goJson(out);
}
