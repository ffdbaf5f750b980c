import { describe, expect, it } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import { goJson } from "../../src/lib/gojson";
import { msteams } from "../../src/notifiers/msteams";
import type { NotifyContext, ProviderSettings } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const vectors = loadVectors("msteams");
const [workflow, , legacy] = vectors;

const context = (event: Partial<FluxEvent> = {}, settings: Partial<ProviderSettings> = {}, v = workflow) =>
  vectorContext(v, { event, settings });

const request = (ctx: NotifyContext) => formatRequest(msteams, ctx);

describe("msteams vectors", () => {
  itFormatsVectors(msteams, vectors, { check: (req, v) => expect(req.body).toBe(goJson(v.expect.body)) });
});

describe("msteams payload", () => {
  it("sends a legacy MessageCard for an info event without metadata", async () => {
    const req = await request(context({ severity: "info", metadata: {}, message: "Applied <rev>" }, {}, legacy));
    expect(req.body).toBe(
      String.raw`{"@type":"MessageCard","@context":"http://schema.org/extensions","themeColor":"0076D7","summary":"kustomization/apps.flux-system","sections":[{"activityTitle":"Applied \u003crev\u003e","activitySubtitle":"kustomization/apps.flux-system","facts":[]}]}`,
    );
  });

  it("drops empty Adaptive Card fields as Go's omitempty does", async () => {
    const req = await request(context({ metadata: {}, message: "" }));
    expect(req.body).toBe(
      String.raw`{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4","body":[{"type":"Container","items":[{"type":"TextBlock","text":"kustomization/apps.flux-system","size":"large","weight":"bolder","wrap":true},{"type":"TextBlock","wrap":true},{"type":"FactSet"}]}],"msteams":{"width":"Full"}}}]}`,
    );
  });

  it("puts summary first even when it sorts last, then the rest by key", async () => {
    const req = await request(context({ metadata: { summary: "", b: "2", a: "1" } }));
    const facts = JSON.parse(req.body).attachments[0].content.body[0].items[2].facts;
    expect(facts).toEqual([
      { title: "summary", value: "" },
      { title: "a", value: "1" },
      { title: "b", value: "2" },
    ]);
  });

  it.each([
    ["https://contoso.webhook.office.com:443/webhookb2/x", true],
    ["https://CONTOSO.webhook.office.com/webhookb2/x", true],
    ["https://webhook.office.com.evil.example/x", false],
    ["https://outlook.office.com/webhook/x", false],
    ["https://prod-01.westus.logic.azure.com/workflows/x", false],
  ])("chooses the schema by host: %s legacy=%s", async (address, legacyCard) => {
    const body = JSON.parse((await request(context({}, { address }))).body);
    expect(body["@type"] === "MessageCard").toBe(legacyCard);
  });
});

describe("msteams settings", () => {
  it("needs an absolute http(s) address", () => {
    const settings = vectorSettings(workflow);
    expect(problemMessages(msteams.validate({ ...settings, address: "" }))).toEqual(["no address: set spec.address or the Secret's address key"]);
    expect(problemMessages(msteams.validate({ ...settings, address: "ftp://x.webhook.office.com/" }))).toEqual(["invalid address: scheme must be http or https"]);
  });
});

describe("msteams responses", () => {
  it("classifies statuses by the shared table", () => expectStatusTable(msteams));

  it("retries a 200 whose body reports Teams' own 429", () => {
    const body = "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-79,cv=abc.0.";
    const c = classifyWith(msteams, response(200, body, { "Retry-After": "10" }));
    expect(c).toMatchObject({ outcome: "retry", retryAfterMs: 10_000 });
    expect(c.outcome !== "delivered" && c.reason).toMatch(/^Teams answered HTTP 200 but reported: Webhook message delivery failed/);
  });

  it("gives up on a 200 whose body reports a client error", () => {
    const body = "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413 with ContextId tcid=0.";
    expect(classifyWith(msteams, response(200, body))).toMatchObject({ outcome: "permanent" });
  });

  it("accepts connector and Workflows success answers", () => {
    expect(classifyWith(msteams, response(200, "1"))).toEqual({ outcome: "delivered" });
    expect(classifyWith(msteams, response(202, ""))).toEqual({ outcome: "delivered" });
  });

  it("paces four requests per second", () => expect(msteams.paceMs?.(vectorSettings(workflow))).toBe(250));
});

describe("msteams secrets", () => {
  it("leaks no webhook signature", async () => {
    const address = "https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=S1gn4tur3Secret";
    await expectLeaksNoSecret(msteams, context({}, { address }), [address, "S1gn4tur3Secret"]);
    await expectLeaksNoSecret(msteams, context({}, {}, legacy), [legacy.provider.address]);
  });
});
