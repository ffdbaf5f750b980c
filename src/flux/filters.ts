import type { FluxEvent } from "./event";
import { CHANGE_REQUEST_TYPES, COMMIT_STATUS_TYPES, GENERIC_TYPES, type ProviderType } from "./manifests";
import { eventShape, metadataValue } from "./metadata";

/**
 * Why a provider type refuses an event. Flux stays silent on `commitStatusUpdate` and logs one info
 * line per request, naming the Alerts, for the two `missing...` codes.
 */
export type ProviderFilterCode = "commitStatusUpdate" | "missingCommit" | "missingChangeRequest";

/** Outcome of the provider-type filters. */
export type ProviderFilterResult = { pass: true } | { pass: false; code: ProviderFilterCode; reason: string };

/**
 * Flux's provider-type filters (spec 4.1 steps 4-6). Give it the cleaned, token-free event, before
 * combineMetadata: Flux filters before combining, and on a combined event an Alert's eventMetadata
 * (`commit`, `commit_status`, ...) would wrongly count as the emitter's. Keys are read in either
 * shape, so a forwarded event's un-prefixed `commit` or `commit_status` is honoured.
 */
export function providerFilter(event: FluxEvent, type: ProviderType, shape = eventShape(event)): ProviderFilterResult {
  const commitStatusType = COMMIT_STATUS_TYPES.includes(type);
  const update = metadataValue(event, "commit_status", shape) === "update";
  if (update && !commitStatusType && !GENERIC_TYPES.includes(type)) {
    return { pass: false, code: "commitStatusUpdate", reason: `commit status update events are not sent to ${type} providers` };
  }
  if (commitStatusType && !metadataValue(event, "commit", shape) && !update && event.severity !== "error") {
    return { pass: false, code: "missingCommit", reason: "event dropped for commit status providers due to missing commit metadata key" };
  }
  if (CHANGE_REQUEST_TYPES.includes(type) && !metadataValue(event, "change_request", shape)) {
    return { pass: false, code: "missingChangeRequest", reason: "event dropped for change request providers due to missing change request metadata key" };
  }
  return { pass: true };
}
