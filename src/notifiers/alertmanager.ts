import { goJson, sortedRecord } from "../lib/gojson";
import { httpUrlProblem, problems } from "./kit/validate";
import { GO_ZERO_TIME, eventTimeRFC3339, goTitle } from "./kit/go-strings";
import { bearerAuth, passwordAuth, splitUserinfo } from "./kit/http-auth";
import type { Notifier, NotifyContext, OutboundRequest } from "./types";

/**
 * `alertmanager`: one firing alert posted to the v2 alerts API. Labels are the metadata (minus
 * `summary`, which becomes an annotation) overwritten by Flux's fixed labels; the Provider docs
 * also list a `timestamp` label, but Flux's code sets none (the time is `startsAt`) and adds
 * `reportingcontroller`, so the code is followed.
 */
export const alertmanager: Notifier = {
  type: "alertmanager",
  validate: (s) => problems(httpUrlProblem(s.address)),
  format: formatAlertmanager,
};

function formatAlertmanager({ event, settings }: NotifyContext): OutboundRequest {
  const { kind, namespace, name } = event.involvedObject;
  const { summary, ...metadata } = event.metadata;
  const annotations: Record<string, string> = { message: event.message };
  if (Object.hasOwn(event.metadata, "summary")) annotations.summary = summary;
  const labels = {
    ...metadata,
    alertname: `Flux${kind}${goTitle(event.reason)}`,
    severity: event.severity,
    reason: event.reason,
    kind,
    name,
    namespace,
    reportingcontroller: event.reportingController,
  };
  const body = goJson([
    {
      status: "firing",
      labels: sortedRecord(labels),
      annotations: sortedRecord(annotations),
      startsAt: eventTimeRFC3339(event),
      // AlertManagerTime is a struct type, so `omitempty` never drops it: Go always sends the
      // zero time, which Alertmanager reads as "unset" and replaces with its resolve_timeout.
      endsAt: GO_ZERO_TIME,
    },
  ]);
  // Flux adds the Bearer header first and then calls SetBasicAuth, which replaces it: with both
  // configured only Basic is sent. URL credentials apply only when neither is set (net/http).
  const { url, authorization } = splitUserinfo(settings.address, passwordAuth(settings) ?? bearerAuth(settings.token));
  return { method: "POST", url, headers: { "Content-Type": "application/json", ...(authorization ? { Authorization: authorization } : {}) }, body };
}
