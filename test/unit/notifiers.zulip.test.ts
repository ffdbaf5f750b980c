import { describe, expect, it } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import { notifierFor } from "../../src/notifiers/registry";
import { isSkip, type NotifyContext, type OutboundRequest } from "../../src/notifiers/types";
import { zulip } from "../../src/notifiers/zulip";
import { expectLeaksNoSecret, expectStatusTable } from "../support/notifier-kit";
import { loadVectors, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

/** The event of Flux's zulip_test.go (TestZulip_Post). */
function goTestEvent(severity: string): FluxEvent {
  return {
    involvedObject: { kind: "Kustomization", namespace: "default", name: "test-ks", uid: "", apiVersion: "", resourceVersion: "", fieldPath: "" },
    severity,
    timestamp: null,
    message: "Test event message",
    reason: "",
    metadata: { key2: "value2", key1: "value1" },
    reportingController: "",
    reportingInstance: "",
  };
}

function context(severity = "info", settings: Partial<NotifyContext["settings"]> = {}): NotifyContext {
  const base = vectorSettings(loadVectors("generic")[0]);
  return {
    event: goTestEvent(severity),
    settings: { ...base, type: "zulip", address: "https://zulip.example.com/api/v1/messages", channel: "general/announcements", username: "user", password: "pass", ...settings },
    now: 0,
  };
}

async function request(ctx: NotifyContext): Promise<OutboundRequest> {
  const req = await zulip.format(ctx);
  if (isSkip(req)) throw new Error(`unexpected skip: ${req.skip}`);
  return req;
}

describe("zulip format", () => {
  it("is registered", () => expect(notifierFor("zulip")).toBe(zulip));

  it.each([
    ["info", "## Flux Status\n\nℹ️ Kustomization/default/test-ks\n\nTest event message\n\nMetadata:\n* `key1`: value1\n* `key2`: value2\n"],
    ["error", "## Flux Status\n\n⚠️ Kustomization/default/test-ks\n\nTest event message\n\nMetadata:\n* `key1`: value1\n* `key2`: value2\n"],
  ])("posts a %s event as Flux's zulip_test.go expects it", async (severity, content) => {
    const req = await request(context(severity));
    expect(req.method).toBe("POST");
    expect(req.url).toBe("https://zulip.example.com/api/v1/messages");
    expect(req.headers).toEqual({ "Content-Type": "application/x-www-form-urlencoded", Authorization: `Basic ${btoa("user:pass")}` });
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ type: "stream", to: "general", topic: "announcements", content });
  });

  it("encodes the form as Go's url.Values.Encode: sorted keys, QueryEscape bytes", async () => {
    const ctx = context("info", { channel: "ops~team/deploys * prod/eu" });
    ctx.event.metadata = {};
    ctx.event.message = "a&b=c ~*";
    expect((await request(ctx)).body).toBe(
      "content=%23%23+Flux+Status%0A%0A%E2%84%B9%EF%B8%8F+Kustomization%2Fdefault%2Ftest-ks%0A%0Aa%26b%3Dc+~%2A%0A%0AMetadata%3A%0A" +
        "&to=ops~team&topic=deploys+%2A+prod%2Feu&type=stream",
    );
  });

  it("replaces the address's path, as Flux does, and keeps its query", async () => {
    expect((await request(context("info", { address: "https://chat.example.com/zulip/some/page?realm=x" }))).url).toBe(
      "https://chat.example.com/api/v1/messages?realm=x",
    );
  });

  it("sends Basic as soon as either half of the credentials is set, and none without", async () => {
    expect((await request(context("info", { username: "bot@example.com", password: "" }))).headers.Authorization).toBe(`Basic ${btoa("bot@example.com:")}`);
    expect((await request(context("info", { username: "", password: "" }))).headers).not.toHaveProperty("Authorization");
  });

  it("takes credentials from the address's userinfo when the Secret has none, never on the wire", async () => {
    const req = await request(context("info", { username: "", password: "", address: "https://bot%40example.com:key@zulip.example.com" }));
    expect(req.url).toBe("https://zulip.example.com/api/v1/messages");
    expect(req.headers.Authorization).toBe(`Basic ${btoa("bot@example.com:key")}`);
  });
});

describe("zulip settings", () => {
  it("needs <stream>/<topic>, with Flux's error", () => {
    for (const channel of ["general", "/topic", "general/", ""]) {
      expect(problemMessages(zulip.validate(context("info", { channel }).settings))).toEqual([
        `invalid Zulip channel format, expected <channel>/<topic>, got '${channel}': set spec.channel to the stream and topic, e.g. flux/deployments`,
      ]);
    }
    expect(problemMessages(zulip.validate(context("info", { channel: "general/a/b" }).settings))).toEqual([]);
  });

  it("needs an absolute http(s) address", () => {
    expect(problemMessages(zulip.validate(context("info", { address: "zulip.example.com" }).settings))).toEqual([expect.stringMatching(/^invalid address/)]);
  });
});

describe("zulip responses", () => {
  it("classifies by the shared table", () => expectStatusTable(zulip));
  it("leaks no secret", async () => {
    const ctx = context("info", { password: "zulip-api-key-1234" });
    await expectLeaksNoSecret(zulip, ctx, ["zulip-api-key-1234"]);
  });
});
