import { goJson, sortedRecord } from "../lib/gojson";
import { httpUrlProblem, problems, tokenProblem } from "./kit/validate";
import { splitUserinfo } from "./kit/http-auth";
import { objName } from "./kit/text";
import type { FormatResult, Notifier, NotifyContext } from "./types";

/**
 * `incident.io`: an event for an HTTP alert source (`POST /v2/alert_events/http/<config id>`),
 * as Flux's internal/notifier/incidentio.go (fluxcd/notification-controller main) sends it. An
 * error fires the alert, any other severity resolves it; the involved object's UID is the
 * deduplication key, so a recovery resolves what the failure fired. `Progressing` is skipped.
 */
export const incidentio: Notifier = {
  type: "incident.io",
  validate: (s) => problems(httpUrlProblem(s.address), tokenProblem(s.token, "incident.io API token")),
  format: formatIncidentio,
};

function formatIncidentio({ event, settings, rendered }: NotifyContext): FormatResult {
  if (event.reason === "Progressing") return { skip: "incident.io skips Progressing events (Flux reports only a failure or a recovery)" };
  const metadata: Record<string, string> = { ...event.metadata, severity: event.severity, reason: event.reason };
  if (event.reportingController) metadata.reportingController = event.reportingController;
  // Flux's IncidentioPayload field order; description and source_url are omitempty (source_url is never set).
  const payload: Record<string, unknown> = {
    title: rendered?.title ?? `${objName(event)}: ${event.reason}`,
    status: event.severity === "error" ? "firing" : "resolved",
    deduplication_key: event.involvedObject.uid,
  };
  if (event.message) payload.description = event.message;
  payload.metadata = sortedRecord(metadata);
  // The bearer token is the Authorization header, so address credentials never reach the wire (net/http).
  const { url } = splitUserinfo(settings.address, settings.token);
  return { method: "POST", url, headers: { "Content-Type": "application/json", Authorization: `Bearer ${settings.token}` }, body: goJson(payload) };
}
