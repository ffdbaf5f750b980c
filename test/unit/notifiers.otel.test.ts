import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AlertManifest } from "../../src/flux/manifests";
import { otel } from "../../src/notifiers/otel";
import { notifierFor } from "../../src/notifiers/registry";
import { isSkip, type NotifyContext, type OutboundRequest, type ProviderSettings } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, response } from "../support/notifier-kit";
import { loadVectors, notifiedEvent, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const NOW = Date.parse("2026-01-15T10:20:35.250Z");
const ALERT_UID = "9b2f0c1e-3d4a-4b5c-8d6e-7f8091a2b3c4";
const ALERT = {
  apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
  kind: "Alert",
  metadata: { name: "on-call", namespace: "flux-system", uid: ALERT_UID },
  spec: { providerRef: { name: "tempo" }, eventSources: [{ kind: "Kustomization", name: "*" }] },
} as unknown as AlertManifest;

/** The generic vectors' events (info, then error), sent by an otel Provider for ALERT. */
function context(index = 0, settings: Partial<ProviderSettings> = {}, now = NOW): NotifyContext {
  const v = loadVectors("generic")[index];
  return {
    event: notifiedEvent(v),
    settings: { ...vectorSettings(v), type: "otel", address: "https://tempo.example.com:4318/v1/traces", headers: {}, token: "", password: "", username: "", ...settings },
    alert: ALERT,
    now,
  };
}

async function request(ctx: NotifyContext): Promise<OutboundRequest> {
  const req = await otel.format(ctx);
  if (isSkip(req)) throw new Error(`unexpected skip: ${req.skip}`);
  return req;
}

async function span(ctx: NotifyContext): Promise<Record<string, any>> {
  return JSON.parse((await request(ctx)).body).resourceSpans[0].scopeSpans[0].spans[0];
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

const attribute = (key: string, stringValue: string) => ({ key, value: { stringValue } });

describe("otel span", () => {
  it("is registered", () => expect(notifierFor("otel")).toBe(otel));

  it("exports one span as Flux's OTLPTracer builds it, in OTLP's JSON encoding", async () => {
    const ctx = context(0);
    const req = await request(ctx);
    expect(req.method).toBe("POST");
    expect(req.url).toBe("https://tempo.example.com:4318/v1/traces");
    expect(req.headers).toEqual({ "Content-Type": "application/json" });
    const body = JSON.parse(req.body);
    const exported = body.resourceSpans[0].scopeSpans[0].spans[0];
    expect(body).toEqual({
      resourceSpans: [
        {
          resource: {
            attributes: [
              attribute("service.instance.id", ALERT_UID),
              attribute("service.name", "flux-system/on-call"),
              attribute("service.namespace", "flux-system"),
            ],
          },
          scopeSpans: [
            {
              scope: { name: "flux:notification-controller" },
              spans: [
                {
                  traceId: sha256Hex(`${ALERT_UID}:${ctx.event.metadata.revision}`).slice(0, 32),
                  spanId: exported.spanId,
                  name: "Kustomization: flux-system/apps",
                  kind: 1,
                  startTimeUnixNano: `${Date.parse(ctx.event.timestamp!)}000000`,
                  endTimeUnixNano: `${NOW}000000`,
                  attributes: [
                    attribute("object.uid", ctx.event.involvedObject.uid),
                    attribute("object.kind", "Kustomization"),
                    attribute("object.name", "apps"),
                    attribute("object.namespace", "flux-system"),
                    ...Object.keys(ctx.event.metadata).sort().map((k) => attribute(k, ctx.event.metadata[k])),
                  ],
                  status: { code: 1 },
                  flags: 0x301,
                },
              ],
            },
          ],
          schemaUrl: "https://opentelemetry.io/schemas/1.34.0",
        },
      ],
    });
    expect(exported.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it("marks an error event's span as failed with the message (an Ok status carries none)", async () => {
    const ctx = context(1);
    expect((await span(ctx)).status).toEqual({ code: 2, message: ctx.event.message });
  });

  it("keeps one span id across retries of the same event, and a new one for another event", async () => {
    const first = await span(context(0));
    expect((await span(context(0, {}, NOW + 60_000))).spanId).toBe(first.spanId);
    expect((await span(context(1))).spanId).not.toBe(first.spanId);
  });

  it("puts every object of one revision in one trace per Alert", async () => {
    const a = context(0);
    const b = context(0);
    b.event.involvedObject = { ...b.event.involvedObject, kind: "HelmRelease", name: "podinfo" };
    expect((await span(b)).traceId).toBe((await span(a)).traceId);
  });

  it("takes the revision as Flux's getRevision does", async () => {
    const ctx = context(0);
    ctx.event.metadata = { "app-version": "6.7.0", "oci-digest": "sha256:abc", revision: "ignored" };
    expect((await span(ctx)).traceId).toBe(sha256Hex(`${ALERT_UID}:6.7.0@sha256:abc`).slice(0, 32));
    ctx.event.metadata = { "oci-digest": "sha256:abc" };
    expect((await span(ctx)).traceId).toBe(sha256Hex(`${ALERT_UID}:unknown`).slice(0, 32));
  });

  it("starts the span now when the event has no timestamp, as the SDK does for Go's zero time", async () => {
    const ctx = context(0);
    ctx.event.timestamp = null;
    expect((await span(ctx)).startTimeUnixNano).toBe(`${NOW}000000`);
  });

  it("keeps a repeated attribute's first place with its last value, and drops an empty key", async () => {
    const ctx = context(0);
    ctx.event.metadata = { "object.kind": "Overridden", "": "nameless", zone: "eu" };
    const exported = await span(ctx);
    expect(exported.attributes.map((a: { key: string }) => a.key)).toEqual(["object.uid", "object.kind", "object.name", "object.namespace", "zone"]);
    expect(exported.attributes[1]).toEqual(attribute("object.kind", "Overridden"));
    expect(exported.droppedAttributesCount).toBe(1);
  });

  it("skips HelmRepository events, as Flux does", async () => {
    const ctx = context(0);
    ctx.event.involvedObject = { ...ctx.event.involvedObject, kind: "HelmRepository" };
    expect(await otel.format(ctx)).toEqual({ skip: expect.stringContaining("HelmRepository") });
  });

  it("needs the Alert that routed the event, with Flux's error", async () => {
    await expect(async () => otel.format({ ...context(0), alert: undefined })).rejects.toThrow(/^alert metadata not found in context/);
  });
});

describe("otel endpoint and headers", () => {
  it("sends to host and path only, over plain http unless the scheme is https", async () => {
    expect((await request(context(0, { address: "http://user:pw@collector:4318/v1/traces?x=1" }))).url).toBe("http://collector:4318/v1/traces");
  });

  it("adds no Authorization without Secret headers, even with a token, as Flux's tracer does", async () => {
    expect((await request(context(0, { token: "otel-token-1234" }))).headers).toEqual({ "Content-Type": "application/json" });
  });

  it("with Secret headers, adds Bearer <token>, or Basic with a username, unless they carry one", async () => {
    const headers = { "X-Scope-OrgID": "tenant-1" };
    expect((await request(context(0, { headers, token: "otel-token-1234" }))).headers).toEqual({
      "X-Scope-OrgID": "tenant-1",
      Authorization: "Bearer otel-token-1234",
      "Content-Type": "application/json",
    });
    expect((await request(context(0, { headers, username: "grafana", password: "pw-5678" }))).headers.Authorization).toBe(`Basic ${btoa("grafana:pw-5678")}`);
    expect((await request(context(0, { headers: { authorization: "ApiKey k" }, token: "otel-token-1234" }))).headers).toEqual({
      authorization: "ApiKey k",
      "Content-Type": "application/json",
    });
  });

  it("keeps the exporter's Content-Type whatever the Secret headers say", async () => {
    expect((await request(context(0, { headers: { "content-type": "application/x-protobuf" }, token: "t" }))).headers["Content-Type"]).toBe("application/json");
  });

  it("needs an absolute http(s) address", () => {
    expect(problemMessages(otel.validate(context(0, { address: "collector:4318" }).settings))).toEqual([expect.stringMatching(/^invalid address/)]);
  });
});

describe("otel responses", () => {
  it("retries only what OTLP calls retryable: 429, 502, 503, 504", () => expectStatusTable(otel, { 408: "permanent", 500: "permanent" }));

  it("honours Retry-After on a retryable answer", () => {
    expect(classifyWith(otel, response(503, "", { "Retry-After": "4" }))).toMatchObject({ outcome: "retry", retryAfterMs: 4000 });
  });

  it("treats rejected spans in a partial success as final", () => {
    expect(classifyWith(otel, response(200, '{"partialSuccess":{"rejectedSpans":"1","errorMessage":"span too old"}}'))).toEqual({
      outcome: "permanent",
      reason: "the collector rejected 1 span(s): span too old",
    });
    expect(classifyWith(otel, response(200, '{"partialSuccess":{}}'))).toEqual({ outcome: "delivered" });
  });

  it("leaks no secret", async () => {
    const ctx = context(0, { headers: { "X-Api-Key": "otel-header-secret" }, token: "otel-token-1234" });
    await expectLeaksNoSecret(otel, ctx, ["otel-token-1234", "otel-header-secret"]);
  });
});
