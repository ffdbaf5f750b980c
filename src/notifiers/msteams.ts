import type { FluxEvent } from "../flux/event";
import { compareBytes, goJson } from "../lib/gojson";
import { classifyResponse, retryAfterMs } from "./classify";
import { httpUrlProblem, problems } from "./kit/validate";
import { isError, metadataEntries, titleOf } from "./kit/text";
import type { Classification, Notifier, ResponseSnapshot } from "./types";

/**
 * `msteams`: an Adaptive Card for Power Automate / Workflows URLs, or the legacy MessageCard
 * for Office 365 connector URLs (`*.webhook.office.com`), chosen by host as Flux does.
 */
export const msteams: Notifier = {
  type: "msteams",
  validate: (s) => problems(httpUrlProblem(s.address)),
  format(ctx) {
    const { event, settings } = ctx;
    const title = titleOf(ctx);
    const body = isLegacyConnector(settings.address) ? messageCardBody(event, title) : adaptiveCardBody(event, title);
    return { method: "POST", url: settings.address, headers: { "Content-Type": "application/json" }, body };
  },
  classify: classifyTeams,
  // Microsoft Teams connector rate limits: 4 requests per second per webhook.
  paceMs: () => 250,
};

function isLegacyConnector(address: string): boolean {
  return URL.canParse(address) && new URL(address).hostname.endsWith(".webhook.office.com");
}

function messageCardBody(event: FluxEvent, title: string): string {
  return goJson({
    "@type": "MessageCard",
    "@context": "http://schema.org/extensions",
    themeColor: isError(event) ? "FF0000" : "0076D7",
    summary: title,
    sections: [
      {
        activityTitle: event.message,
        activitySubtitle: title,
        facts: metadataEntries(event).map(([name, value]) => ({ name, value })),
      },
    ],
  });
}

/**
 * Flux's card elements embed optional structs whose fields are all `omitempty`, so an empty
 * message loses its `text` and an event without metadata gets a FactSet without `facts`.
 */
function adaptiveCardBody(event: FluxEvent, title: string): string {
  const { summary, ...rest } = event.metadata;
  const facts = Object.keys(rest)
    .sort(compareBytes)
    .map((title) => ({ title, value: rest[title] }));
  if (summary !== undefined) facts.unshift({ title: "summary", value: summary });
  const items = [
    withoutEmpty({ type: "TextBlock", text: title, size: "large", weight: "bolder", wrap: true }),
    withoutEmpty({ type: "TextBlock", text: event.message, color: isError(event) ? "attention" : "", wrap: true }),
    facts.length > 0 ? { type: "FactSet", facts } : { type: "FactSet" },
  ];
  return goJson({
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [{ type: "Container", items }],
          msteams: { width: "Full" },
        },
      },
    ],
  });
}

function withoutEmpty(fields: Record<string, string | boolean>): Record<string, string | boolean> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ""));
}

/**
 * Office 365 connectors answer HTTP 200 with a text body when Teams itself refused the message
 * ("Microsoft Teams endpoint returned HTTP error 429 with ContextId ..."); the embedded status
 * decides like a real one would.
 */
function classifyTeams(res: ResponseSnapshot): Classification | undefined {
  if (res.status < 200 || res.status >= 300) return undefined;
  const embedded = /returned HTTP error (\d{3})/.exec(res.body);
  if (!embedded) return undefined;
  const reason = `Teams answered HTTP ${res.status} but reported: ${res.body.slice(0, 200)}`;
  const inner = classifyResponse({ status: Number(embedded[1]), headers: res.headers, body: "" });
  if (inner.outcome === "permanent") return { outcome: "permanent", reason };
  return { outcome: "retry", reason, retryAfterMs: retryAfterMs(res.headers) };
}
