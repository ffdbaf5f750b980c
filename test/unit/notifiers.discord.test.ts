import { describe, expect, it } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import { goJson } from "../../src/lib/gojson";
import { discord, discordSlackUrl } from "../../src/notifiers/discord";
import type { NotifyContext, ProviderSettings } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const vectors = loadVectors("discord");
const [info] = vectors;

const context = (event: Partial<FluxEvent> = {}, settings: Partial<ProviderSettings> = {}, v = info) =>
  vectorContext(v, { event, settings });

const request = (ctx: NotifyContext) => formatRequest(discord, ctx);

describe("discord vectors", () => {
  itFormatsVectors(discord, vectors, { check: (req, v) => expect(req.body).toBe(goJson(v.expect.body)) });
});

describe("discord payload", () => {
  it("sends an info event without metadata, channel always empty", async () => {
    const req = await request(context({ metadata: {}, message: "Applied" }, { channel: "ignored" }));
    expect(req.body).toBe(
      String.raw`{"channel":"","username":"kustomize-controller","icon_url":"","icon_emoji":"","attachments":[{"fallback":"","color":"good","author_name":"kustomization/apps.flux-system","text":"Applied","mrkdwn_in":["text"],"fields":[]}]}`,
    );
  });

  it("sends an error event with metadata sorted by key", async () => {
    const req = await request(context({ severity: "error", message: "failed: <timeout>", metadata: { revision: "main@sha1:abc", cluster: "eu" } }));
    expect(req.body).toBe(
      String.raw`{"channel":"","username":"kustomize-controller","icon_url":"","icon_emoji":"","attachments":[{"fallback":"","color":"danger","author_name":"kustomization/apps.flux-system","text":"failed: \u003ctimeout\u003e","mrkdwn_in":["text"],"fields":[{"title":"cluster","value":"eu","short":false},{"title":"revision","value":"main@sha1:abc","short":false}]}]}`,
    );
  });

  it.each([
    ["https://discord.com/api/webhooks/1/tok", "https://discord.com/api/webhooks/1/tok/slack"],
    ["https://discord.com/api/webhooks/1/tok/", "https://discord.com/api/webhooks/1/tok/slack"],
    ["https://discord.com/api/webhooks/1/tok?thread_id=9", "https://discord.com/api/webhooks/1/tok/slack?thread_id=9"],
    ["https://discord.com/api/webhooks/1/tok/slack?thread_id=9", "https://discord.com/api/webhooks/1/tok/slack?thread_id=9"],
    ["https://discord.com/api/webhooks/1/tok/slack", "https://discord.com/api/webhooks/1/tok/slack"],
  ])("posts %s to %s", (address, url) => expect(discordSlackUrl(address)).toBe(url));
});

describe("discord settings", () => {
  it("needs an absolute http(s) address", () => {
    expect(problemMessages(discord.validate({ ...vectorSettings(info), address: "" }))).toEqual(["no address: set spec.address or the Secret's address key"]);
  });
});

describe("discord responses", () => {
  it("classifies statuses by the shared table", () => expectStatusTable(discord));

  it("reads retry_after in seconds from the 429 body", () => {
    const body = '{"message":"You are being rate limited.","retry_after":1.234,"global":false}';
    expect(classifyWith(discord, response(429, body, { "Retry-After": "2" }))).toMatchObject({ outcome: "retry", retryAfterMs: 1234 });
  });

  it("reads retry_after above 1000 as milliseconds, as older API versions sent", () => {
    expect(classifyWith(discord, response(429, '{"retry_after":6457,"global":false}'))).toMatchObject({ outcome: "retry", retryAfterMs: 6457 });
  });

  it("falls back to the Retry-After header", () => {
    expect(classifyWith(discord, response(429, "error code: 1015", { "Retry-After": "7" }))).toMatchObject({ outcome: "retry", retryAfterMs: 7000 });
  });

  it("keeps client errors permanent whatever the body says", () => {
    expect(classifyWith(discord, response(400, '{"code":50006,"retry_after":1}'))).toMatchObject({ outcome: "permanent" });
  });

  it("paces for the per-channel webhook limit", () => expect(discord.paceMs?.(vectorSettings(info))).toBe(2000));
});

describe("discord secrets", () => {
  it("leaks no webhook token", async () => {
    const address = "https://discord.com/api/webhooks/123/Wh00kT0kenSecret";
    await expectLeaksNoSecret(discord, context({}, { address }), [address, "Wh00kT0kenSecret"]);
  });
});
