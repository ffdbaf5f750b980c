import { describe, expect, it } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import { goJson } from "../../src/lib/gojson";
import { googlechat } from "../../src/notifiers/googlechat";
import type { NotifyContext, ProviderSettings } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const vectors = loadVectors("googlechat");
const [info] = vectors;

const context = (event: Partial<FluxEvent> = {}, settings: Partial<ProviderSettings> = {}) =>
  vectorContext(info, { event, settings });

const request = (ctx: NotifyContext) => formatRequest(googlechat, ctx);

describe("googlechat vectors", () => {
  itFormatsVectors(googlechat, vectors, { check: (req, v) => expect(req.body).toBe(goJson(v.expect.body)) });
});

describe("googlechat payload", () => {
  it("sends an error without metadata as a single red section", async () => {
    const req = await request(context({ severity: "error", metadata: {}, message: "Health check failed" }));
    expect(req.body).toBe(
      String.raw`{"cards":[{"header":{"title":"kustomization/apps.flux-system","subtitle":"kustomize-controller","imageUrl":null,"imageStyle":null},"sections":[{"header":"","widgets":[{"textParagraph":{"text":"\u003cfont color=\"#ff0000\"\u003eHealth check failed\u003c/font\u003e"},"keyValue":null}]}]}]}`,
    );
  });

  it("sends an info event with metadata widgets sorted by key", async () => {
    const req = await request(context({ metadata: { summary: "prod", env: "eu" } }));
    const widgets = JSON.parse(req.body).cards[0].sections[1].widgets;
    expect(widgets.map((w: { keyValue: { topLabel: string } }) => w.keyValue.topLabel)).toEqual(["env", "summary"]);
  });
});

describe("googlechat settings", () => {
  it("needs an absolute http(s) address", () => {
    expect(problemMessages(googlechat.validate({ ...vectorSettings(info), address: "" }))).toEqual(["no address: set spec.address or the Secret's address key"]);
  });
});

describe("googlechat responses", () => {
  it("classifies statuses by the shared table", () => expectStatusTable(googlechat));

  it("retries RESOURCE_EXHAUSTED", () => {
    const body = '{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}';
    expect(classifyWith(googlechat, response(429, body))).toMatchObject({ outcome: "retry" });
  });

  it("paces one message per second per space", () => expect(googlechat.paceMs?.(vectorSettings(info))).toBe(1000));
});

describe("googlechat secrets", () => {
  it("leaks neither the key nor the token of the webhook URL", async () => {
    const address = "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=K3yK3yK3y&token=T0kenT0ken";
    await expectLeaksNoSecret(googlechat, context({}, { address }), [address, "K3yK3yK3y", "T0kenT0ken"]);
  });
});
