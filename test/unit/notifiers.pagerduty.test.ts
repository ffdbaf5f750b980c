import { describe, expect, it } from "vitest";
import { pagerduty, pagerDutyChangeEvent } from "../../src/notifiers/pagerduty";
import { isSkip, type NotifyContext, type OutboundRequest } from "../../src/notifiers/types";
import { expectExchangeLeaksNoSecret, fakeSend } from "../support/exchange-kit";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, response } from "../support/notifier-kit";
import { expectVectorRequest, loadVectors, notifiedEvent, vectorSettings, type Vector } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const NOW = Date.parse("2026-01-15T10:20:30Z");
const vectors = loadVectors("pagerduty");

function context(v: Vector): NotifyContext {
  return { event: notifiedEvent(v), settings: vectorSettings(v), now: NOW };
}

async function request(ctx: NotifyContext): Promise<OutboundRequest> {
  const req = await pagerduty.format(ctx);
  if (isSkip(req)) throw new Error(`unexpected skip: ${req.skip}`);
  return req;
}

/**
 * The vector's change event as Go encodes it. The vector lists `"links": null` and `source`
 * before `summary`; go-pagerduty v1.8.0 change_events.go declares `Links []ChangeEventLink
 * json:"links,omitempty"` (nil, so omitted) and ChangeEventPayload with Summary first.
 */
function goChangeEvent(expected: Vector["expect"]): Vector["expect"] {
  const { routing_key, payload } = expected.body as { routing_key: string; payload: Record<string, unknown> };
  const { summary, source, timestamp, custom_details } = payload;
  return { ...expected, body: { routing_key, payload: { summary, source, timestamp, custom_details } } };
}

describe("pagerduty vectors", () => {
  for (const v of vectors) {
    it(v.name, async () => {
      const ctx = context(v);
      expect(problemMessages(pagerduty.validate(ctx.settings))).toEqual([]);
      expectVectorRequest(await request(ctx), v);
      const change = pagerDutyChangeEvent(ctx);
      const additional = (v.additionalRequests ?? []) as Vector["expect"][];
      expect(change ? [change] : []).toHaveLength(additional.length);
      if (change) expectVectorRequest(change, { ...v, expect: goChangeEvent(additional[0]) });
    });
  }
});

describe("pagerduty format", () => {
  it("skips Progressing events", async () => {
    const ctx = context(vectors[1]);
    ctx.event.reason = "Progressing";
    expect(await pagerduty.format(ctx)).toEqual({ skip: expect.stringContaining("Progressing") });
    expect(pagerDutyChangeEvent({ ...ctx, event: { ...ctx.event, severity: "info" } })).toBeUndefined();
  });

  it("resolves (without a change event) for trace events", async () => {
    const ctx = context(vectors[0]);
    ctx.event.severity = "trace";
    expect(JSON.parse((await request(ctx)).body).event_action).toBe("resolve");
    expect(pagerDutyChangeEvent(ctx)).toBeUndefined();
  });

  it("summarises as Flux's formatNameAndDescription", async () => {
    const ctx = context(vectors[1]);
    ctx.event.reason = "PDFLoader2Failed";
    expect(JSON.parse((await request(ctx)).body).payload.summary).toBe("pdf loader 2 failed: kustomization/apps");
  });

  it("omits empty dedup key, component and group as go-pagerduty's omitempty does", async () => {
    const ctx = context(vectors[1]);
    ctx.event.involvedObject = { ...ctx.event.involvedObject, uid: "", name: "", kind: "" };
    const body = JSON.parse((await request(ctx)).body);
    expect(body).not.toHaveProperty("dedup_key");
    expect(Object.keys(body.payload)).toEqual(["summary", "source", "severity", "timestamp", "custom_details"]);
  });
});

describe("pagerduty settings and pacing", () => {
  const base = vectorSettings(vectors[0]);
  it("needs a routing key and an absolute http(s) address", () => {
    expect(problemMessages(pagerduty.validate({ ...base, channel: "" }))).toEqual([expect.stringMatching(/^no PagerDuty routing key: set spec.channel/)]);
    expect(problemMessages(pagerduty.validate({ ...base, address: "events.pagerduty.com" }))).toEqual([expect.stringMatching(/^invalid address/)]);
  });
  it("paces deliveries at PagerDuty's ~120 events per minute per integration key", () => {
    expect(pagerduty.paceMs?.(base)).toBe(500);
  });
});

describe("pagerduty responses", () => {
  it("classifies by the shared table (202 is PagerDuty's success)", () => expectStatusTable(pagerduty));
  it("waits 30 s after a 429 without Retry-After, as PagerDuty advises", () => {
    expect(classifyWith(pagerduty, response(429, '{"status":"throttle event"}'))).toMatchObject({ outcome: "retry", retryAfterMs: 30_000 });
    expect(classifyWith(pagerduty, response(429, "", { "Retry-After": "5" }))).toMatchObject({ outcome: "retry", retryAfterMs: 5000 });
  });
  it("treats an invalid event (400) as permanent", () => {
    expect(classifyWith(pagerduty, response(400, '{"status":"invalid event","message":"Event object is invalid"}')).outcome).toBe("permanent");
  });
  it("leaks no secret", async () => {
    const ctx = context(vectors[1]);
    await expectLeaksNoSecret(pagerduty, ctx, [ctx.settings.channel]);
  });
});

describe("pagerduty exchange", () => {
  const accepted = () => response(202, '{"status":"success","message":"Event processed"}');

  it("sends the resolve of an info event, then its change event, as Flux's Post does", async () => {
    const ctx = context(vectors[0]);
    const send = fakeSend(pagerduty, accepted);
    expect(await pagerduty.exchange!(ctx, send)).toEqual({ outcome: "delivered" });
    expect(send.requests).toEqual([await request(ctx), pagerDutyChangeEvent(ctx)]);
  });

  it("sends only the trigger of an error event", async () => {
    const ctx = context(vectors[1]);
    const send = fakeSend(pagerduty, accepted);
    expect(await pagerduty.exchange!(ctx, send)).toEqual({ outcome: "delivered" });
    expect(send.requests).toEqual([await request(ctx)]);
  });

  it("sends nothing for Progressing events", async () => {
    const ctx = context(vectors[0]);
    ctx.event.reason = "Progressing";
    const send = fakeSend(pagerduty, accepted);
    expect(await pagerduty.exchange!(ctx, send)).toEqual({ skip: expect.stringContaining("Progressing") });
    expect(send.requests).toEqual([]);
  });

  it("records no change event when the resolve was not accepted", async () => {
    const send = fakeSend(pagerduty, () => response(429, '{"status":"throttle event"}'));
    expect(await pagerduty.exchange!(context(vectors[0]), send)).toEqual({
      outcome: "retry",
      reason: 'failed sending event: rate limited by PagerDuty: HTTP 429: {"status":"throttle event"}',
      retryAfterMs: 30_000,
    });
    expect(send.requests).toHaveLength(1);
  });

  it("names the change event when it is the one refused", async () => {
    const send = fakeSend(pagerduty, (req) => (req.url.endsWith("/v2/change/enqueue") ? response(400, '{"status":"invalid event"}') : accepted()));
    expect(await pagerduty.exchange!(context(vectors[0]), send)).toEqual({
      outcome: "permanent",
      reason: 'failed sending change event: HTTP 400: {"status":"invalid event"}',
    });
  });

  it("leaks no secret from any step", async () => {
    const ctx = context(vectors[0]);
    await expectExchangeLeaksNoSecret(pagerduty, ctx, [ctx.settings.channel]);
  });
});
