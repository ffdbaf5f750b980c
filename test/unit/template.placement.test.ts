import { describe, expect, it } from "vitest";
import { parseManifest, type AlertManifest } from "../../src/flux/manifests";
import { notifierFor } from "../../src/notifiers/registry";
import { isSkip, type OutboundRequest } from "../../src/notifiers/types";
import { TEMPLATE_ANNOTATION, TITLE_TEMPLATE_ANNOTATION, withTemplates } from "../../src/rules/message-template";
import { loadVectors, vectorContext, vectorTypes, type Vector } from "../support/vectors";

// Where each provider type puts the rendered templates (docs/providers.md, "Message templates"):
// the message where Flux puts the event message (commit-status types: the description), the title
// where the type has a title line. Checked on every type's first vector.

const MESSAGE = "tmpl-message {{ .InvolvedObject.Name }}";
const TITLE = "tmpl-title {{ .Severity }}";

function alertWith(annotations: Record<string, string>): AlertManifest {
  return parseManifest("Alert", {
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    metadata: { name: "templated", namespace: "flux-system", annotations },
    spec: { providerRef: { name: "p" }, eventSources: [{ kind: "Kustomization", name: "*" }] },
  });
}

/** The request's text with base64 bodies (Pub/Sub data) decoded, so placement can be searched. */
function searchable(req: OutboundRequest): string {
  const decoded = [...req.body.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) => atob(m[1]));
  // Backslashes dropped: Telegram escapes `-` for MarkdownV2.
  return [req.url, decodeURIComponent(req.body.replace(/\+/g, " ")), req.body, ...decoded].join("\n").replaceAll("\\", "");
}

// An error event where the type has one (PagerDuty puts the message only in a trigger).
function firstSendable(type: string): Vector {
  const vectors = loadVectors(type).filter((v) => !/progressing|skip/i.test(v.name));
  return vectors.find((v) => (v.notifiedEvent as { severity?: string }).severity === "error") ?? vectors[0];
}

// Types with a title line; every type but grafana (whose annotation carries no message) has a message.
const TITLED = new Set(["datadog", "discord", "googlechat", "grafana", "incident.io", "lark", "matrix", "msteams", "opsgenie", "pagerduty", "rocket", "slack", "telegram", "webex", "zoom"]);
const NO_MESSAGE = new Set(["grafana"]);

describe("rendered templates land where each type puts Flux's message and title", () => {
  for (const type of vectorTypes()) {
    const notifier = notifierFor(type as never);
    if (!notifier) continue;
    it(type, async () => {
      const v = firstSendable(type);
      const base = vectorContext(v, { now: Date.parse("2026-12-03T18:00:00Z") });
      const { ctx, templateError } = withTemplates({ ...base, alert: alertWith({ [TEMPLATE_ANNOTATION]: MESSAGE, [TITLE_TEMPLATE_ANNOTATION]: TITLE }) });
      expect(templateError).toBeUndefined();
      const result = await notifier.format(ctx);
      if (isSkip(result)) throw new Error(`skipped: ${result.skip}`);
      const text = searchable(result);
      const name = ctx.event.involvedObject.name;
      expect({ message: text.includes(`tmpl-message ${name}`), title: text.includes(`tmpl-title ${ctx.event.severity}`) }).toEqual({
        message: !NO_MESSAGE.has(type),
        title: TITLED.has(type),
      });
    });
  }
});
