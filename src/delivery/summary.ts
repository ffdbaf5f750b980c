import type { FluxEvent } from "../flux/event";

/** A short, secret-free description of an event for history rows and logs. */
export function summarize(event: FluxEvent): string {
  const o = event.involvedObject;
  return `${o.kind}/${o.namespace}/${o.name} ${event.severity} ${event.reason}`.slice(0, 200);
}

/** The same for an event stored as JSON text; a row that does not parse says so instead of throwing. */
export function summarizeStored(eventJson: string): string {
  try {
    return summarize(JSON.parse(eventJson) as FluxEvent);
  } catch {
    return "(unreadable event)";
  }
}
