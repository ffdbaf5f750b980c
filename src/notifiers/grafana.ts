import { goJson } from "../lib/gojson";
import { httpUrlProblem, problems } from "./kit/validate";
import { eventUnixSeconds } from "./kit/go-strings";
import { bearerAuth, passwordAuth, splitUserinfo } from "./kit/http-auth";
import { metadataEntries, titleOf } from "./kit/text";
import type { Notifier, NotifyContext, OutboundRequest } from "./types";

/** `grafana`: an annotation (Graphite format) on the annotations API, Bearer token or Basic auth. */
export const grafana: Notifier = {
  type: "grafana",
  validate: (s) => problems(httpUrlProblem(s.address)),
  format: formatGrafana,
};

function formatGrafana(ctx: NotifyContext): OutboundRequest {
  const { event, settings } = ctx;
  const { kind, namespace, name } = event.involvedObject;
  // Grafana splits tags at `:` for key/value display, so Flux replaces the ones inside metadata.
  const metadataTags = metadataEntries(event).map(([k, v]) => `${k.replaceAll(":", "|")}: ${v.replaceAll(":", "|")}`);
  const body = goJson({
    // Seconds are right: `when` is the Graphite-format field, which Grafana multiplies by 1000
    // (pkg/api/annotations.go PostGraphiteAnnotation); the millisecond field of the plain
    // annotations API is `time`, which Flux does not send.
    when: eventUnixSeconds(event),
    text: titleOf(ctx),
    tags: ["flux", event.reportingController, ...metadataTags, `kind: ${kind}`, `name: ${name}`, `namespace: ${namespace}`],
  });
  const { url, authorization } = splitUserinfo(settings.address, bearerAuth(settings.token) ?? passwordAuth(settings));
  return { method: "POST", url, headers: { "Content-Type": "application/json", ...(authorization ? { Authorization: authorization } : {}) }, body };
}
