import { describe, expect, it } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import { goJson } from "../../src/lib/gojson";
import { webex } from "../../src/notifiers/webex";
import type { NotifyContext, ProviderSettings } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const vectors = loadVectors("webex");
const [info] = vectors;

const context = (event: Partial<FluxEvent> = {}, settings: Partial<ProviderSettings> = {}) =>
  vectorContext(info, { event, settings });

const request = (ctx: NotifyContext) => formatRequest(webex, ctx);

describe("webex vectors", () => {
  itFormatsVectors(webex, vectors, { check: (req, v) => expect(req.body).toBe(goJson(v.expect.body)) });
});

describe("webex payload", () => {
  it("sends an info event without metadata", async () => {
    const req = await request(context({ metadata: {}, message: "Applied" }));
    expect(req.body).toBe(String.raw`{"roomId":"Y2lzY29zcGFyazovL3VzL1JPT00v","markdown":"✅ **kustomization/apps.flux-system**\nApplied\n"}`);
  });

  it("sends an error event with metadata sorted by key", async () => {
    const req = await request(context({ severity: "error", message: "a > b", metadata: { revision: "r1", cluster: "eu" } }));
    expect(req.body).toBe(
      String.raw`{"roomId":"Y2lzY29zcGFyazovL3VzL1JPT00v","markdown":"💣 **kustomization/apps.flux-system**\na \u003e b\n\u003e**cluster**: eu\n\u003e**revision**: r1\n"}`,
    );
  });
});

describe("webex settings", () => {
  it("needs an address, a room id and a bot token", () => {
    expect(problemMessages(webex.validate({ ...vectorSettings(info), address: "", channel: "", token: "" }))).toEqual([
      "no address: set spec.address or the Secret's address key",
      "no Webex room: set spec.channel to the room id",
      "no Webex bot token: set the token key in the Secret referenced by spec.secretRef",
    ]);
  });
});

describe("webex responses", () => {
  it("classifies statuses by the shared table", () => expectStatusTable(webex));
  it("honours Retry-After on 429", () => {
    expect(classifyWith(webex, response(429, '{"message":"Too Many Requests"}', { "Retry-After": "60" }))).toMatchObject({ outcome: "retry", retryAfterMs: 60_000 });
  });
  it("has no published pace", () => expect(webex.paceMs).toBeUndefined());
});

describe("webex secrets", () => {
  it("leaks no bot token", async () => {
    await expectLeaksNoSecret(webex, context({}, { token: "W3bexB0tT0ken" }), ["W3bexB0tT0ken"]);
  });
});
