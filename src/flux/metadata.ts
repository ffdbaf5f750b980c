import { EVENT_GROUP, objectGroup, type FluxEvent } from "./event";
import type { AlertManifest } from "./manifests";

/**
 * How an event reached the relay: posted by a Flux controller (prefixed metadata keys, Flux's
 * ingestion rules apply) or forwarded by a notification-controller (keys already transformed).
 */
export type EventShape = "controller" | "forwarded";

/** Logical metadata keys with a fixed meaning in Flux (spec 2.9). */
export type MetadataKey = "commit" | "change_request" | "revision" | "originRevision" | "token" | "commit_status";

// Which group prefix carries each logical key on a controller-shaped event (spec 2.9).
const EVENT_GROUP_KEYS: ReadonlySet<MetadataKey> = new Set(["commit", "change_request"]);

/** Names Flux gives the metadata sources in `MetadataAppendFailed` annotations, lowest precedence first. */
export const METADATA_SOURCES = {
  annotations: "involved object annotations",
  eventMetadata: "Alert object .spec.eventMetadata",
  summary: "Alert object .spec.summary",
  controller: "involved object controller metadata",
  /** The relay's own name: Flux never sees already-combined keys arriving on its ingress. */
  forwarded: "forwarded event metadata",
} as const;

const eventGroupPrefix = `${EVENT_GROUP}/`;

// Go builds the object-group prefix even for an empty group, so it degenerates to "/" there.
const objectGroupPrefix = (event: FluxEvent) => `${objectGroup(event)}/`;

/**
 * Controller-shaped when a metadata key carries the event-group prefix or the object-group prefix
 * (the latter only for a non-empty group: a bare "/" is no evidence of a Flux emitter). Events
 * without metadata count as forwarded, which is harmless because every rule then sees no keys.
 */
export function eventShape(event: FluxEvent): EventShape {
  const group = objectGroup(event);
  const prefixes = group ? [eventGroupPrefix, `${group}/`] : [eventGroupPrefix];
  const controller = Object.keys(event.metadata).some((k) => prefixes.some((p) => k.startsWith(p)));
  return controller ? "controller" : "forwarded";
}

/**
 * Flux's ingestion cleanup (spec 1.4), applied only to controller-shaped events: forwarded events
 * were cleaned by the notification-controller that sent them and their un-prefixed keys are the
 * payload, so dropping them would lose everything.
 */
export function cleanMetadata(event: FluxEvent, shape = eventShape(event)): FluxEvent {
  if (shape === "forwarded") return withMetadata(event, { ...event.metadata });
  const groupPrefix = objectGroupPrefix(event);
  const excluded = [`${groupPrefix}checksum`, `${groupPrefix}digest`].map((k) => k.toLowerCase());
  const kept = Object.entries(event.metadata).filter(
    ([key]) => !excluded.includes(key.toLowerCase()) && (key.startsWith(eventGroupPrefix) || key.startsWith(groupPrefix)),
  );
  return withMetadata(event, Object.fromEntries(kept));
}

/**
 * Deletes the internal `<object group>/token` key after dedup (spec 1.4). A forwarded event keeps
 * an un-prefixed `token`: the sending notification-controller already deleted the internal one, so
 * a `token` that survived came from an `event.toolkit.fluxcd.io/token` annotation or an Alert's
 * eventMetadata, both of which Flux delivers.
 */
export function removeToken(event: FluxEvent, shape = eventShape(event)): FluxEvent {
  const metadata = { ...event.metadata };
  if (shape === "controller") delete metadata[`${objectGroupPrefix(event)}token`];
  return withMetadata(event, metadata);
}

/**
 * Reads a logical key in either shape: on a controller-shaped event under the prefix Flux reads it
 * from (`commit`, `change_request` under the event group, the others under the object group), on a
 * forwarded event un-prefixed. `undefined` means absent; an empty string is a present key.
 */
export function metadataValue(event: FluxEvent, key: MetadataKey, shape = eventShape(event)): string | undefined {
  const wireKey =
    shape === "forwarded" ? key : EVENT_GROUP_KEYS.has(key) ? eventGroupPrefix + key : objectGroupPrefix(event) + key;
  return Object.hasOwn(event.metadata, wireKey) ? event.metadata[wireKey] : undefined;
}

/** The delivered event of one Alert plus the keys that received values from several sources. */
export interface CombinedMetadata {
  event: FluxEvent;
  /** Key -> source names (METADATA_SOURCES values) in precedence order, for `MetadataAppendFailed`. */
  conflicts: Record<string, string[]>;
}

/**
 * Flux's per-Alert metadata combination (spec 2.8) on a cleaned, token-free event. Precedence, lowest
 * first: `cluster` from the hook path, event-group keys (prefix stripped), `spec.eventMetadata`,
 * `spec.summary`, object-group keys (prefix stripped). A forwarded event's keys take the
 * object-group slot: they are the upstream Alert's final result, already combined with the
 * upstream precedence, so the relay's Alert only fills gaps.
 *
 * `cluster` is the relay's addition: the cluster named by the hook path. It is authoritative over
 * the sender (a cluster's key must not let it speak for another cluster), so with a path cluster
 * every `cluster` key the event itself carries (annotation, controller or forwarded) is ignored;
 * only the Alert's own `spec.eventMetadata.cluster` (the operator's config) replaces it. It never
 * counts as a conflict. Pass `shape` when it is already known (the ingress computes it once).
 */
export function combineMetadata(event: FluxEvent, alert: AlertManifest, cluster?: string, shape = eventShape(event)): CombinedMetadata {
  // A Map, not an object literal: a key such as `__proto__` must stay an ordinary key, as in Go.
  const metadata = new Map<string, string>();
  const sources = new Map<string, string[]>();
  const put = (key: string, value: string, source: string) => {
    metadata.set(key, value);
    sources.set(key, [...(sources.get(key) ?? []), source]);
  };

  // The sender's own `cluster` keys, dropped when the hook path names the cluster.
  const fromSender = (key: string, value: string, source: string) => {
    if (!(cluster && key === "cluster")) put(key, value, source);
  };

  if (cluster) metadata.set("cluster", cluster);
  const forwarded = shape === "forwarded";
  if (!forwarded) {
    for (const [key, value] of Object.entries(event.metadata)) {
      if (key.startsWith(eventGroupPrefix)) fromSender(key.slice(eventGroupPrefix.length), value, METADATA_SOURCES.annotations);
    }
  }
  for (const [key, value] of Object.entries(alert.spec.eventMetadata)) put(key, value, METADATA_SOURCES.eventMetadata);
  if (alert.spec.summary) put("summary", alert.spec.summary, METADATA_SOURCES.summary);
  if (forwarded) {
    for (const [key, value] of Object.entries(event.metadata)) fromSender(key, value, METADATA_SOURCES.forwarded);
  } else {
    const groupPrefix = objectGroupPrefix(event);
    for (const [key, value] of Object.entries(event.metadata)) {
      if (key.startsWith(groupPrefix)) fromSender(key.slice(groupPrefix.length), value, METADATA_SOURCES.controller);
    }
  }

  const conflicts = Object.fromEntries(
    [...sources].filter(([, names]) => names.length > 1).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return { event: withMetadata(event, Object.fromEntries(metadata)), conflicts };
}

function withMetadata(event: FluxEvent, metadata: Record<string, string>): FluxEvent {
  return { ...event, involvedObject: { ...event.involvedObject }, metadata };
}
