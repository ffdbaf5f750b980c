import { describe, expect, it } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import { goJson } from "../../src/lib/gojson";
import { webex } from "../../src/notifiers/webex";
import { isSkip, type NotifyContext, type OutboundRequest, type ProviderSettings } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, response } from "../support/notifier-kit";
import { expectVectorRequest, loadVectors, notifiedEvent, vectorSettings } from "../support/vectors";

const vectors = loadVectors("webex");
const [info] = vectors;

function context(event: Partial<FluxEvent> = {}, settings: Partial<ProviderSettings> = {}): NotifyContext {
  return { event: { ...notifiedEvent(info), ...event }, settings: { ...vectorSettings(info), ...settings }, now: 0 };
}

async function request(ctx: NotifyContext): Promise<OutboundRequest> {
  const req = await webex.format(ctx);
  if (isSkip(req)) throw new Error(`unexpected skip: ${req.skip}`);
  return req;
}

describe("webex vectors", () => {
  for (const v of vectors) {
    it(v.name, async () => {
      const settings = vectorSettings(v);
      expect(webex.validate(settings)).toEqual([]);
      const req = await request({ event: notifiedEvent(v), settings, now: 0 });
      expectVectorRequest(req, v);
      expect(req.body).toBe(goJson(v.expect.body));
    });
  }
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
    expect(webex.validate({ ...vectorSettings(info), address: "", channel: "", token: "" })).toEqual([
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
