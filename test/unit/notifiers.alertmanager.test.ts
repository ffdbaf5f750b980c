import { describe, expect, it } from "vitest";
import { alertmanager } from "../../src/notifiers/alertmanager";
import { goTitle } from "../../src/notifiers/kit/go-strings";
import type { NotifyContext } from "../../src/notifiers/types";
import { expectLeaksNoSecret, expectStatusTable, formatRequest } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, type Vector, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const NOW = Date.parse("2026-01-15T10:20:30Z");
const vectors = loadVectors("alertmanager");

const context = (v: Vector) => vectorContext(v, { now: NOW });

const request = (ctx: NotifyContext) => formatRequest(alertmanager, ctx);

describe("alertmanager vectors", () => {
  itFormatsVectors(alertmanager, vectors, { now: NOW });
});

describe("alertmanager format", () => {
  it("uses exactly Flux's labels: metadata minus summary, then the fixed ones (no timestamp label)", async () => {
    const ctx = context(vectors[1]);
    ctx.event.metadata = { ...ctx.event.metadata, name: "from-metadata", kind: "from-metadata" };
    const [alert] = JSON.parse((await request(ctx)).body);
    expect(Object.keys(alert.labels)).toEqual(
      ["alertname", "cluster", "env", "kind", "name", "namespace", "reason", "reportingcontroller", "revision", "severity"],
    );
    expect(alert.labels).toMatchObject({ kind: "Kustomization", name: "apps" });
    expect(alert.labels).not.toHaveProperty("summary");
    expect(alert.labels).not.toHaveProperty("timestamp");
  });

  it("adds a summary annotation only when the metadata has the key, even empty", async () => {
    const ctx = context(vectors[0]);
    expect(JSON.parse((await request(ctx)).body)[0].annotations).toEqual({ message: ctx.event.message });
    ctx.event.metadata = { ...ctx.event.metadata, summary: "" };
    expect(JSON.parse((await request(ctx)).body)[0].annotations).toEqual({ message: ctx.event.message, summary: "" });
  });

  it("title-cases the reason as x/text/cases does", () => {
    expect(goTitle("HealthCheckFailed")).toBe("Healthcheckfailed");
    expect(goTitle("Progressing")).toBe("Progressing");
    expect(goTitle("upgrade failed-twice")).toBe("Upgrade Failed-Twice");
    expect(goTitle("snake_case.dotted:colon")).toBe("Snake_case.dotted:colon");
    expect(goTitle("a..b 1st")).toBe("A..B 1St");
  });

  it("sends the Go zero time for a missing timestamp and as endsAt", async () => {
    const ctx = context(vectors[0]);
    ctx.event.timestamp = null;
    const [alert] = JSON.parse((await request(ctx)).body);
    expect(alert.startsAt).toBe("0001-01-01T00:00:00Z");
    expect(alert.endsAt).toBe("0001-01-01T00:00:00Z");
  });
});

describe("alertmanager auth", () => {
  const info = context(vectors[0]);
  it("sends only Basic when a token and a username/password pair are both set (Flux's SetBasicAuth wins)", async () => {
    const req = await request({ ...info, settings: { ...info.settings, token: "am-token", username: "am", password: "pw" } });
    expect(req.headers.Authorization).toBe(`Basic ${btoa("am:pw")}`);
  });
  it("sends no Basic for a username without password", async () => {
    const req = await request({ ...info, settings: { ...info.settings, token: "", username: "am", password: "" } });
    expect(req.headers).toEqual({ "Content-Type": "application/json" });
  });
  it("turns URL credentials (the docs' example address) into Basic auth and strips them from the URL", async () => {
    const address = "https://user%40corp:p%3Ass@alertmanager.example.com/api/v2/alerts/";
    const req = await request({ ...info, settings: { ...info.settings, token: "", address } });
    expect(req.url).toBe("https://alertmanager.example.com/api/v2/alerts/");
    expect(req.headers.Authorization).toBe(`Basic ${btoa("user@corp:p:ss")}`);
  });
  it("prefers a configured token over URL credentials", async () => {
    const address = "https://user:pass@alertmanager.example.com/api/v2/alerts";
    const req = await request({ ...info, settings: { ...info.settings, address } });
    expect(req.headers.Authorization).toBe("Bearer am-token");
  });
});

describe("alertmanager settings and responses", () => {
  const base = vectorSettings(vectors[0]);
  it("needs an absolute http(s) address", () => {
    expect(problemMessages(alertmanager.validate({ ...base, address: "" }))).toEqual([expect.stringMatching(/^no address/)]);
    expect(problemMessages(alertmanager.validate({ ...base, address: "alertmanager:9093" }))).toEqual([expect.stringMatching(/^invalid address/)]);
  });
  it("classifies by the shared table", () => expectStatusTable(alertmanager));
  it("leaks no secret", async () => {
    const ctx = context(vectors[1]);
    const address = "https://user:s3cr3t-pass@alertmanager.example.com/api/v2/alerts";
    await expectLeaksNoSecret(alertmanager, { ...ctx, settings: { ...ctx.settings, address, token: "am-token" } }, [
      "am-token",
      ctx.settings.password,
      "s3cr3t-pass",
      address,
    ]);
  });
});
