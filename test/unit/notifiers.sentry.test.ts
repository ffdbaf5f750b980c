import { describe, expect, it } from "vitest";
import { sentry } from "../../src/notifiers/sentry";
import type { NotifyContext } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { loadVectors, type Vector, vectorContext } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const NOW = Date.parse("2026-01-15T10:30:00.250Z");
const vectors = loadVectors("sentry");
const [infoVector, errorVector] = vectors;

const context = (v: Vector) => vectorContext(v, { now: NOW });

const request = (ctx: NotifyContext) => formatRequest(sentry, ctx);

interface Envelope {
  header: Record<string, unknown>;
  itemHeader: { type: string; length: number };
  payload: Record<string, any>;
  payloadText: string;
}

/** Splits an envelope into its newline-terminated JSON lines (develop.sentry.dev/sdk/envelopes). */
function parseEnvelope(body: string): Envelope {
  expect(body.endsWith("\n")).toBe(true);
  const lines = body.slice(0, -1).split("\n");
  expect(lines).toHaveLength(3);
  return { header: JSON.parse(lines[0]), itemHeader: JSON.parse(lines[1]), payload: JSON.parse(lines[2]), payloadText: lines[2] };
}

describe("sentry vectors (fields Flux controls; SDK fields are nondeterministic)", () => {
  for (const v of vectors) {
    it(v.name, async () => {
      const ctx = context(v);
      expect(problemMessages(sentry.validate(ctx.settings))).toEqual([]);
      const req = await request(ctx);
      expect(req.method).toBe(v.expect.method);
      expect(req.url).toBe(v.expect.url);
      expect(req.headers).toEqual({
        "Content-Type": "application/x-sentry-envelope",
        "X-Sentry-Auth": "Sentry sentry_version=7, sentry_client=sentry.go/0.46.2, sentry_key=public",
      });
      const envelope = parseEnvelope(req.body);
      const subset = (v.expect as unknown as { sentryEventSubset: Record<string, unknown> }).sentryEventSubset;
      expect(envelope.payload).toMatchObject(subset);
      expect(envelope.itemHeader).toEqual({ type: subset.type === "transaction" ? "transaction" : "event", length: new TextEncoder().encode(envelope.payloadText).length });
      expect(envelope.header).toEqual({ event_id: envelope.payload.event_id, sent_at: "2026-01-15T10:30:00.25Z", sdk: { name: "sentry.go", version: "0.46.2" } });
      expect(envelope.payload.event_id).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    });
  }
});

describe("sentry events", () => {
  it("sends info as a transaction with a trace context and the tags as the only data", async () => {
    const { payload } = parseEnvelope((await request(context(infoVector))).body);
    expect(Object.keys(payload)).toEqual([
      "contexts", "environment", "event_id", "level", "message", "platform", "sdk", "tags", "timestamp", "transaction", "type", "start_timestamp",
    ]);
    expect(payload.contexts.trace).toEqual({ op: "event", span_id: expect.stringMatching(/^[0-9a-f]{16}$/), trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it("sends error as an error event with the metadata context and no transaction-only fields", async () => {
    const { payload, payloadText } = parseEnvelope((await request(context(errorVector))).body);
    expect(Object.keys(payload)).toEqual(["contexts", "environment", "event_id", "level", "message", "platform", "sdk", "server_name", "timestamp", "transaction"]);
    expect(payloadText).toContain("\\u003cready\\u003e \\u0026 more");
  });

  it("lets metadata overwrite the flux_* span tags, as span.SetTag order does", async () => {
    const ctx = context(infoVector);
    ctx.event.metadata = { flux_reason: "from-metadata" };
    expect(parseEnvelope((await request(ctx)).body).payload.tags.flux_reason).toBe("from-metadata");
  });

  it("derives ids from provider and event, so a retried delivery is deduplicated by Sentry", async () => {
    const first = parseEnvelope((await request(context(infoVector))).body).payload;
    const again = parseEnvelope((await request({ ...context(infoVector), now: NOW + 60_000 })).body).payload;
    expect(again.event_id).toBe(first.event_id);
    expect(again.contexts).toEqual(first.contexts);
    const other = context(infoVector);
    other.event.message = "another message";
    expect(parseEnvelope((await request(other)).body).payload.event_id).not.toBe(first.event_id);
  });

  it("uses the send time when the event has no timestamp, and omits an empty environment", async () => {
    const ctx = context(errorVector);
    ctx.event.timestamp = null;
    ctx.settings.channel = "";
    const { payload } = parseEnvelope((await request(ctx)).body);
    expect(payload.timestamp).toBe("2026-01-15T10:30:00.25Z");
    expect(payload).not.toHaveProperty("environment");
  });

  it("sends nothing for trace events (Flux would hand sentry-go a nil event)", async () => {
    const ctx = context(infoVector);
    ctx.event.severity = "trace";
    expect(await sentry.format(ctx)).toEqual({ skip: expect.stringContaining("only info and error") });
  });
});

describe("sentry DSN", () => {
  const ctx = context(infoVector);
  const withDsn = (address: string) => ({ ...ctx, settings: { ...ctx.settings, address } });
  it("keeps a custom port and path prefix and passes a legacy secret key", async () => {
    const req = await request(withDsn("http://pub:sec@sentry.internal:9000/sentry/42"));
    expect(req.url).toBe("http://sentry.internal:9000/sentry/api/42/envelope/");
    expect(req.headers["X-Sentry-Auth"]).toBe("Sentry sentry_version=7, sentry_client=sentry.go/0.46.2, sentry_key=pub, sentry_secret=sec");
  });
  it("explains invalid DSNs without repeating them", () => {
    const cases: [string, RegExp][] = [
      ["", /^no address: set the Sentry DSN/],
      ["o0.ingest.sentry.io/12345", /^invalid address: the Sentry DSN is not an absolute URL/],
      ["ftp://key@o0.ingest.sentry.io/12345", /^invalid address: the Sentry DSN must use http or https/],
      ["https://o0.ingest.sentry.io/12345", /^invalid address: the Sentry DSN has no public key/],
      ["https://key@o0.ingest.sentry.io/", /^invalid address: the Sentry DSN has no project id/],
      ["https://key@o0.ingest.sentry.io/12345/", /^invalid address: the Sentry DSN has no project id/],
    ];
    for (const [address, message] of cases) {
      const problems = problemMessages(sentry.validate({ ...ctx.settings, address }));
      expect(problems).toEqual([expect.stringMatching(message)]);
      if (address) expect(problems[0]).not.toContain("o0.ingest");
    }
  });
});

describe("sentry responses", () => {
  it("classifies by the shared table", () => expectStatusTable(sentry));
  it("waits the longest X-Sentry-Rate-Limits entry that covers errors or transactions", () => {
    const limits = "60:transaction:key, 2700:default;error;security:organization, 9999:attachment:key";
    expect(classifyWith(sentry, response(429, "", { "X-Sentry-Rate-Limits": limits }))).toMatchObject({ outcome: "retry", retryAfterMs: 2_700_000 });
    expect(classifyWith(sentry, response(429, "", { "X-Sentry-Rate-Limits": "10::organization" }))).toMatchObject({ retryAfterMs: 10_000 });
  });
  it("falls back to Retry-After when no rate limit covers the event", () => {
    const headers = { "X-Sentry-Rate-Limits": "9999:attachment:key", "Retry-After": "4" };
    expect(classifyWith(sentry, response(429, "", headers))).toMatchObject({ outcome: "retry", retryAfterMs: 4000 });
  });
  it("leaks no secret", async () => {
    const ctx = context(errorVector);
    const address = "https://publickey:s3cr3t-key@o0.ingest.sentry.io/12345";
    await expectLeaksNoSecret(sentry, { ...ctx, settings: { ...ctx.settings, address } }, [address, "publickey", "s3cr3t-key"]);
  });
});
