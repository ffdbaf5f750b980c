import { describe, expect, it } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import { goJson } from "../../src/lib/gojson";
import { rocket } from "../../src/notifiers/rocket";
import type { NotifyContext, ProviderSettings } from "../../src/notifiers/types";
import { expectLeaksNoSecret, expectStatusTable, formatRequest } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const vectors = loadVectors("rocket");
const [info] = vectors;

const context = (event: Partial<FluxEvent> = {}, settings: Partial<ProviderSettings> = {}) =>
  vectorContext(info, { event, settings });

const request = (ctx: NotifyContext) => formatRequest(rocket, ctx);

describe("rocket vectors", () => {
  itFormatsVectors(rocket, vectors, { check: (req, v) => expect(req.body).toBe(goJson(v.expect.body)) });
});

describe("rocket payload", () => {
  it("sends an info event without metadata, channel or username", async () => {
    const req = await request(context({ metadata: {}, message: "Applied" }, { channel: "", username: "" }));
    expect(req.headers).toEqual({ "Content-Type": "application/json" });
    expect(req.body).toBe(
      String.raw`{"channel":"","username":"","icon_url":"","icon_emoji":"","attachments":[{"fallback":"","color":"#0076D7","author_name":"kustomization/apps.flux-system","text":"Applied","mrkdwn_in":["text"],"fields":[]}]}`,
    );
  });

  it("sends an error event with metadata sorted by key", async () => {
    const req = await request(context({ severity: "error", message: "a & b", metadata: { z: "1", a: "2" } }));
    expect(req.body).toBe(
      String.raw`{"channel":"#flux","username":"flux","icon_url":"","icon_emoji":"","attachments":[{"fallback":"","color":"#FF0000","author_name":"kustomization/apps.flux-system","text":"a \u0026 b","mrkdwn_in":["text"],"fields":[{"title":"a","value":"2","short":false},{"title":"z","value":"1","short":false}]}]}`,
    );
  });
});

describe("rocket settings, responses and secrets", () => {
  it("needs an absolute http(s) address", () => {
    expect(problemMessages(rocket.validate({ ...vectorSettings(info), address: "" }))).toEqual(["no address: set spec.address or the Secret's address key"]);
  });
  it("classifies statuses by the shared table", () => expectStatusTable(rocket));
  it("has no published pace", () => expect(rocket.paceMs).toBeUndefined());
  it("leaks no webhook token", async () => {
    const address = "https://rocket.example.com/hooks/abc/R0cketT0kenSecret";
    await expectLeaksNoSecret(rocket, context({}, { address }), [address, "R0cketT0kenSecret"]);
  });
});
