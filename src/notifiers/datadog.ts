import { goJson } from "../lib/gojson";
import { classifyResponse } from "./classify";
import { httpUrlProblem, problems, tokenProblem } from "./kit/validate";
import { eventUnixSeconds, goToLower } from "./kit/go-strings";
import { metadataEntries } from "./kit/text";
import type { Classification, Notifier, NotifyContext, OutboundRequest, ResponseSnapshot } from "./types";

/**
 * `datadog`: an event on the v1 Events API (`POST <scheme>://<host>/api/v1/events`), as Flux's
 * datadog-api-client-go call sends it; only the scheme and host of the address are used.
 */
export const datadog: Notifier = {
  type: "datadog",
  validate: (s) => problems(httpUrlProblem(s.address), tokenProblem(s.token, "Datadog API key")),
  format: formatDatadog,
  classify: classifyDatadog,
};

function formatDatadog({ event, settings, rendered }: NotifyContext): OutboundRequest {
  const { kind, namespace, name } = event.involvedObject;
  // Datadog lower-cases tags itself; Flux does it up front so its events stay consistent.
  const tags = [
    `flux_reporting_controller:${event.reportingController}`,
    `flux_reason:${event.reason}`,
    `kube_kind:${kind}`,
    `kube_name:${name}`,
    `kube_namespace:${namespace}`,
    ...metadataEntries(event).map(([k, v]) => `${k}:${v}`),
  ].map(goToLower);
  // The client marshals EventCreateRequest through a map, hence alphabetical keys.
  const body = goJson({
    alert_type: event.severity === "error" ? "error" : "info",
    date_happened: eventUnixSeconds(event),
    source_type_name: "fluxcd",
    tags,
    text: event.message,
    title: rendered?.title ?? `Events from the ${kind} ${name}/${namespace}`,
  });
  const { protocol, host } = new URL(settings.address);
  return {
    method: "POST",
    url: `${protocol}//${host}/api/v1/events`,
    headers: { "DD-API-KEY": settings.token, "Content-Type": "application/json", Accept: "application/json" },
    body,
  };
}

/**
 * Datadog answers 429 with `X-RateLimit-Reset`, the seconds until its window resets
 * (docs.datadoghq.com/api/latest/rate-limits); used when no Retry-After is given.
 */
function classifyDatadog(res: ResponseSnapshot): Classification | undefined {
  const base = classifyResponse(res);
  if (res.status !== 429 || base.outcome !== "retry" || base.retryAfterMs !== undefined) return undefined;
  const reset = Number(res.headers.get("x-ratelimit-reset"));
  return Number.isFinite(reset) && reset > 0 ? { ...base, retryAfterMs: Math.ceil(reset * 1000) } : undefined;
}
