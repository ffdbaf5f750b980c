import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { opsgenie } from "../../src/notifiers/opsgenie";
import type { NotifyContext } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, type Vector, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const NOW = Date.parse("2026-01-15T10:20:30Z");
const vectors = loadVectors("opsgenie");

const context = (v: Vector) => vectorContext(v, { now: NOW });

const request = (ctx: NotifyContext) => formatRequest(opsgenie, ctx);

describe("opsgenie vectors", () => {
  itFormatsVectors(opsgenie, vectors, { now: NOW });
});

describe("opsgenie format", () => {
  it("aliases by provider UID, object and reason (SHA-256 hex)", async () => {
    const ctx = context(vectors[1]);
    const { kind, namespace, name } = ctx.event.involvedObject;
    const key = `${ctx.settings.uid}/${kind}/${namespace}/${name}/${ctx.event.reason}`;
    const body = JSON.parse((await request(ctx)).body);
    expect(body.alias).toBe(createHash("sha256").update(key).digest("hex"));
    const otherProvider = JSON.parse((await request({ ...ctx, settings: { ...ctx.settings, uid: "another-uid" } })).body);
    expect(otherProvider.alias).not.toBe(body.alias);
  });

  it("adds the sending cluster after the UID, so two clusters never share an alert, with or without a UID", async () => {
    const ctx = context(vectors[1]);
    const { kind, namespace, name } = ctx.event.involvedObject;
    const alias = async (c: NotifyContext) => JSON.parse((await request(c)).body).alias;
    const hex = (key: string) => createHash("sha256").update(key).digest("hex");
    expect(await alias({ ...ctx, cluster: "prod" })).toBe(hex(`${ctx.settings.uid}/prod/${kind}/${namespace}/${name}/${ctx.event.reason}`));
    expect(await alias({ ...ctx, cluster: "prod" })).not.toBe(await alias({ ...ctx, cluster: "staging" }));
    const noUid = { ...ctx, settings: { ...ctx.settings, uid: "" } };
    expect(await alias({ ...noUid, cluster: "prod" })).not.toBe(await alias({ ...noUid, cluster: "staging" }));
  });

  it("lets the event severity overwrite a metadata key named severity", async () => {
    const ctx = context(vectors[1]);
    ctx.event.metadata = { ...ctx.event.metadata, severity: "from-metadata" };
    expect(JSON.parse((await request(ctx)).body).details.severity).toBe("error");
  });

  it("keeps URL credentials off the wire and the GenieKey header in charge", async () => {
    const ctx = context(vectors[0]);
    ctx.settings.address = "https://user:pass@api.eu.opsgenie.com/v2/alerts";
    const req = await request(ctx);
    expect(req.url).toBe("https://api.eu.opsgenie.com/v2/alerts");
    expect(req.headers.Authorization).toBe("GenieKey genie-key");
  });
});

describe("opsgenie settings", () => {
  const base = vectorSettings(vectors[0]);
  it("needs an API key", () => {
    expect(problemMessages(opsgenie.validate({ ...base, token: "" }))).toEqual([expect.stringMatching(/^no Opsgenie API key: set the token key/)]);
  });
  it("needs an absolute http(s) address", () => {
    expect(problemMessages(opsgenie.validate({ ...base, address: "" }))).toEqual([expect.stringMatching(/^no address/)]);
    expect(problemMessages(opsgenie.validate({ ...base, address: "api.opsgenie.com/v2/alerts" }))).toEqual([expect.stringMatching(/^invalid address/)]);
  });
});

describe("opsgenie responses", () => {
  it("classifies by the shared table", () => expectStatusTable(opsgenie));
  it("accepts 202 (Opsgenie processes alerts asynchronously)", () => {
    expect(classifyWith(opsgenie, response(202, '{"result":"Request will be processed","requestId":"x"}')).outcome).toBe("delivered");
  });
  it("retries a 429 after its Retry-After", () => {
    expect(classifyWith(opsgenie, response(429, "", { "Retry-After": "7" }))).toMatchObject({ outcome: "retry", retryAfterMs: 7000 });
  });
  it("leaks no secret", async () => {
    const ctx = context(vectors[1]);
    await expectLeaksNoSecret(opsgenie, ctx, [ctx.settings.token]);
  });
});
