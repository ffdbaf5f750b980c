import type { FluxEvent } from "../flux/event";
import { goJson } from "../lib/gojson";
import { httpUrlProblem, problems, tokenProblem } from "./kit/validate";
import { goEncodeQuery, goParseQuery } from "./kit/go-strings";
import { splitUserinfo } from "./kit/http-auth";
import { metadataEntries, titleOf } from "./kit/text";
import type { Notifier, NotifyContext, OutboundRequest } from "./types";

/**
 * `zoom`: a Zoom Team Chat incoming-webhook message in the rich format (`?format=full`), with the
 * webhook's verification token as the raw `Authorization` value, as Flux's
 * internal/notifier/zoom.go (fluxcd/notification-controller main) sends it.
 */
export const zoom: Notifier = {
  type: "zoom",
  validate: (s) => problems(httpUrlProblem(s.address), tokenProblem(s.token, "Zoom verification token")),
  format: formatZoom,
};

function formatZoom(ctx: NotifyContext): OutboundRequest {
  const { event, settings } = ctx;
  // The token is the Authorization header, so address credentials never reach the wire (net/http).
  const { url } = splitUserinfo(settings.address, settings.token);
  return {
    method: "POST",
    url: withRichFormat(url),
    headers: { "Content-Type": "application/json", Authorization: settings.token },
    body: zoomBody(event, titleOf(ctx)),
  };
}

/**
 * Flux asks for the rich format unless the address pins one: `q.Set("format", "full")` then
 * `q.Encode()`, which also re-encodes the other parameters in sorted order.
 */
function withRichFormat(address: string): string {
  const question = address.indexOf("?");
  const base = question < 0 ? address : address.slice(0, question);
  const query = goParseQuery(question < 0 ? "" : address.slice(question + 1));
  if (query.get("format")?.[0]) return address;
  query.set("format", ["full"]);
  return `${base}?${goEncodeQuery(query)}`;
}

/** Flux's ZoomPayload: the title and severity as head, the message, then metadata as fields. */
function zoomBody(event: FluxEvent, title: string): string {
  const message: Record<string, unknown> = { type: "message" };
  // `text` and `items` are omitempty in Flux's ZoomBodyItem.
  if (event.message) message.text = event.message;
  const body: Record<string, unknown>[] = [message];
  const fields = metadataEntries(event).map(([key, value]) => ({ key, value }));
  if (fields.length > 0) body.push({ type: "fields", items: fields });
  return goJson({ content: { head: { text: title, sub_head: { text: event.severity } }, body } });
}
