import type { FluxEvent } from "../flux/event";
import { goJson, sortedRecord } from "../lib/gojson";
import { classifyResponse } from "./classify";
import { httpUrlProblem, problems } from "./kit/validate";
import { describeReason, statusName } from "./git/status";
import { eventTimeRFC3339 } from "./kit/go-strings";
import { isSkip, type Classification, type FormatResult, type Notifier, type NotifyContext, type OutboundRequest, type ProviderSettings, type ResponseSnapshot, type Send, type Skip } from "./types";

/**
 * `pagerduty`: Events API v2. Errors trigger an incident keyed by the object's UID; any other
 * severity resolves it ("just in case an existing incident is open"), and an `info` event is
 * then also recorded as a change event. `Progressing` is skipped. The routing (integration) key
 * is `spec.channel`; only the scheme and host of the address are used.
 */
export const pagerduty: Notifier = {
  type: "pagerduty",
  validate: (s) =>
    problems(httpUrlProblem(s.address), s.channel ? undefined : "no PagerDuty routing key: set spec.channel to the integration key of the service"),
  format: formatPagerDuty,
  exchange: exchangePagerDuty,
  classify: classifyPagerDuty,
  // PagerDuty accepts about 120 events per minute per integration key
  // (https://developer.pagerduty.com/docs/events-api-v2-overview#rate-limits).
  paceMs: () => 500,
};

function formatPagerDuty({ event, settings, rendered }: NotifyContext): FormatResult {
  if (event.reason === "Progressing") return { skip: "pagerduty skips Progressing events (Flux reports only success or failure)" };
  // go-pagerduty V2Event / V2Payload field order; empty optional fields are omitted as there.
  const body: Record<string, unknown> = { routing_key: settings.channel, event_action: "resolve" };
  if (event.involvedObject.uid) body.dedup_key = event.involvedObject.uid;
  if (event.severity === "error") {
    body.event_action = "trigger";
    const payload: Record<string, unknown> = {
      summary: rendered?.title ?? summary(event),
      source: `Flux ${event.reportingController}`,
      severity: "error",
      timestamp: eventTimeRFC3339(event),
    };
    if (event.involvedObject.name) payload.component = event.involvedObject.name;
    if (event.involvedObject.kind) payload.group = event.involvedObject.kind;
    payload.custom_details = customDetails(event);
    body.payload = payload;
  }
  return post(settings, "/v2/enqueue", body);
}

/**
 * Flux's Post: the trigger/resolve, then, once it was accepted, the change event of an `info`
 * event. A retry sends both again: the resolve is idempotent by its dedup key, while a change
 * event whose answer was lost is recorded twice (PagerDuty has no key to deduplicate those).
 */
async function exchangePagerDuty(ctx: NotifyContext, send: Send): Promise<Classification | Skip> {
  const first = formatPagerDuty(ctx);
  if (isSkip(first)) return first;
  const sent = (await send(first)).classification;
  if (sent.outcome !== "delivered") return { ...sent, reason: `failed sending event: ${sent.reason}` };
  const change = pagerDutyChangeEvent(ctx);
  if (!change) return sent;
  const recorded = (await send(change)).classification;
  return recorded.outcome === "delivered" ? recorded : { ...recorded, reason: `failed sending change event: ${recorded.reason}` };
}

/** The change event Flux sends after the resolve of an `info` event (`/v2/change/enqueue`), or undefined for other events. */
export function pagerDutyChangeEvent({ event, settings, rendered }: NotifyContext): OutboundRequest | undefined {
  if (event.reason === "Progressing" || event.severity !== "info") return undefined;
  // go-pagerduty v1.8.0 ChangeEventPayload order (summary first); `links` is omitempty and nil.
  return post(settings, "/v2/change/enqueue", {
    routing_key: settings.channel,
    payload: {
      summary: rendered?.title ?? summary(event),
      source: `Flux ${event.reportingController}`,
      timestamp: eventTimeRFC3339(event),
      custom_details: customDetails(event),
    },
  });
}

/** Flux's `<description>: <name>` from formatNameAndDescription: `health check failed: kustomization/apps`. */
function summary(event: FluxEvent): string {
  return `${describeReason(event.reason)}: ${statusName(event)}`;
}

function customDetails(event: FluxEvent): Record<string, unknown> {
  return { message: event.message, metadata: sortedRecord(event.metadata) };
}

function post(settings: ProviderSettings, path: string, body: unknown): OutboundRequest {
  const { protocol, host } = new URL(settings.address);
  return { method: "POST", url: `${protocol}//${host}${path}`, headers: { "Content-Type": "application/json" }, body: goJson(body) };
}

/**
 * PagerDuty drops a throttled event (429) and advises retrying about 30 s later
 * (https://developer.pagerduty.com/docs/events-api-v2-overview#rate-limits), so that is the wait
 * when the response names none.
 */
function classifyPagerDuty(res: ResponseSnapshot): Classification | undefined {
  const base = classifyResponse(res);
  if (res.status !== 429 || base.outcome !== "retry" || base.retryAfterMs !== undefined) return undefined;
  return { ...base, reason: `rate limited by PagerDuty: ${base.reason}`, retryAfterMs: 30_000 };
}
