import { describe, expect, it } from "vitest";
import { goJson } from "../../src/lib/gojson";
import { datadog } from "../../src/notifiers/datadog";
import { goToLower } from "../../src/notifiers/kit/go-strings";
import type { NotifyContext } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, type Vector, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const NOW = Date.parse("2026-01-15T10:20:30Z");
const vectors = loadVectors("datadog");

const context = (v: Vector) => vectorContext(v, { now: NOW });

const request = (ctx: NotifyContext) => formatRequest(datadog, ctx);

describe("datadog vectors", () => {
  // Metadata tags come from a Go map (random order); the relay sorts them by key.
  itFormatsVectors(datadog, vectors, { now: NOW, check: (req, v) => expect(req.body).toBe(goJson(v.expect.body)) });
});

describe("datadog format", () => {
  it("uses only the scheme and host of the address", async () => {
    const ctx = context(vectors[0]);
    ctx.settings.address = "https://api.us5.datadoghq.com:8443/some/path?x=1";
    expect((await request(ctx)).url).toBe("https://api.us5.datadoghq.com:8443/api/v1/events");
  });

  it("lower-cases every tag code point by code point, as Go's strings.ToLower", async () => {
    const ctx = context(vectors[1]);
    ctx.event.metadata = { Cluster: "PROD-ΟΔΟΣ", İd: "X" };
    const { tags } = JSON.parse((await request(ctx)).body);
    expect(tags.slice(5)).toEqual(["cluster:prod-οδοσ", "id:x"]);
    expect(goToLower("ΟΔΟΣ")).toBe("οδοσ");
  });

  it("sends info for every severity but error", async () => {
    const ctx = context(vectors[0]);
    ctx.event.severity = "trace";
    expect(JSON.parse((await request(ctx)).body).alert_type).toBe("info");
  });
});

describe("datadog settings", () => {
  const base = vectorSettings(vectors[0]);
  it("needs an API key", () => {
    expect(problemMessages(datadog.validate({ ...base, token: "" }))).toEqual([expect.stringMatching(/^no Datadog API key: set the token key/)]);
  });
  it("needs an absolute http(s) address", () => {
    expect(problemMessages(datadog.validate({ ...base, address: "api.datadoghq.eu" }))).toEqual([expect.stringMatching(/^invalid address/)]);
  });
});

describe("datadog responses", () => {
  it("classifies by the shared table (202 is Datadog's success)", () => expectStatusTable(datadog));
  it("waits X-RateLimit-Reset seconds on a 429 without Retry-After", () => {
    expect(classifyWith(datadog, response(429, "", { "X-RateLimit-Reset": "12", "X-RateLimit-Period": "60" }))).toMatchObject({
      outcome: "retry",
      retryAfterMs: 12_000,
    });
    expect(classifyWith(datadog, response(429, "", { "Retry-After": "3", "X-RateLimit-Reset": "12" }))).toMatchObject({ retryAfterMs: 3000 });
    expect(classifyWith(datadog, response(429))).toEqual(expect.objectContaining({ outcome: "retry", retryAfterMs: undefined }));
  });
  it("leaks no secret", async () => {
    const ctx = context(vectors[1]);
    await expectLeaksNoSecret(datadog, ctx, [ctx.settings.token]);
  });
});
