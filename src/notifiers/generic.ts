import { encodeFluxEvent } from "../flux/event";
import { httpUrlProblem, problems } from "./kit/validate";
import type { Notifier, NotifyContext, OutboundRequest } from "./types";

/** `generic`: POST the transformed event as Go JSON with `Gotk-Component` and the Secret's headers. */
export const generic: Notifier = {
  type: "generic",
  validate: (s) => problems(httpUrlProblem(s.address)),
  format: formatGeneric,
};

export function formatGeneric({ event, settings, rendered }: NotifyContext): OutboundRequest {
  // Header order and override semantics as Flux: Secret headers replace the first two.
  const headers: Record<string, string> = { "Content-Type": "application/json", "Gotk-Component": event.reportingController };
  for (const [name, value] of Object.entries(settings.headers)) setHeader(headers, name, value);
  // The Alert's body template (validated JSON) replaces the event, e.g. to post a CloudEvent.
  return { method: "POST", url: settings.address, headers, body: rendered?.body ?? encodeFluxEvent(event) };
}

/** Sets a header replacing any existing one with the same case-insensitive name. */
export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
  headers[name] = value;
}
