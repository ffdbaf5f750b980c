import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { admin, clearConfig, json, putAlert, putProvider } from "../support/workers";

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

const post = (body: unknown) => admin("/silences", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

async function clearSilences(): Promise<void> {
  const { keys } = await env.CONFIG.list({ prefix: "silences/" });
  await Promise.all(keys.map((k) => env.CONFIG.delete(k.name)));
}

describe("silences API", () => {
  beforeEach(async () => {
    await clearConfig();
    await clearSilences();
  });

  it("creates an active silence, lists it, and stores it under silences/<id> with a KV expiration a week after endsAt", async () => {
    const endsAt = iso(Date.now() + 2 * HOUR);
    const res = await post({ matchers: { cluster: "prod-*", kind: "HelmRelease", message: "(?i)upgrade retries exhausted" }, endsAt, comment: "db migration", createdBy: "alice" });
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created).toMatchObject({
      matchers: { cluster: "prod-*", kind: "HelmRelease", message: "(?i)upgrade retries exhausted" },
      endsAt,
      comment: "db migration",
      createdBy: "alice",
      status: { state: "active" },
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);

    const listed = await json(await admin("/silences"));
    expect(listed.items.map((s: { id: string }) => s.id)).toEqual([created.id]);
    expect(await json(await admin(`/silences/${created.id}`))).toMatchObject({ id: created.id, status: { state: "active" } });

    const { keys } = await env.CONFIG.list({ prefix: "silences/" });
    expect(keys.map((k) => k.name)).toEqual([`silences/${created.id}`]);
    expect(keys[0].expiration).toBe(Math.ceil((Date.parse(endsAt) + 7 * 24 * HOUR) / 1000));
  });

  it("a silence starting later is pending", async () => {
    const created = await json(await post({ matchers: { name: "web" }, startsAt: iso(Date.now() + HOUR), endsAt: iso(Date.now() + 2 * HOUR), comment: "window" }));
    expect(created.status.state).toBe("pending");
  });

  it("DELETE expires the silence: it stays listed as expired, with endsAt now", async () => {
    const created = await json(await post({ matchers: { namespace: "apps" }, endsAt: iso(Date.now() + HOUR), comment: "deploy freeze" }));
    const before = Date.now();
    const res = await admin(`/silences/${created.id}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    const expired = await json(res);
    expect(expired.status.state).toBe("expired");
    expect(Date.parse(expired.endsAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(expired.endsAt)).toBeLessThanOrEqual(Date.now());
    const listed = await json(await admin("/silences"));
    expect(listed.items).toEqual([expect.objectContaining({ id: created.id, status: { state: "expired" } })]);
    const { keys } = await env.CONFIG.list({ prefix: "silences/" });
    expect(keys[0].expiration).toBe(Math.ceil((Date.parse(expired.endsAt) + 7 * 24 * HOUR) / 1000));
  });

  it("an unknown id is 404", async () => {
    expect((await admin("/silences/00000000-0000-0000-0000-000000000000", { method: "DELETE" })).status).toBe(404);
    expect((await admin("/silences/nope")).status).toBe(404);
  });

  it.each([
    [{ endsAt: iso(Date.now() + HOUR), comment: "c" }, "matchers: "],
    [{ matchers: {}, endsAt: iso(Date.now() + HOUR), comment: "c" }, "matchers: at least one matcher"],
    [{ matchers: { name: "web" }, comment: "c" }, "endsAt: "],
    [{ matchers: { name: "web" }, endsAt: "tomorrow", comment: "c" }, "endsAt: must be an RFC 3339 time"],
    [{ matchers: { name: "web" }, endsAt: iso(Date.now() - HOUR), comment: "c" }, "endsAt: must be in the future"],
    [{ matchers: { name: "web" }, endsAt: iso(Date.now() + 31 * 24 * HOUR), comment: "c" }, "endsAt: must be at most 30 days"],
    [{ matchers: { name: "web" }, startsAt: iso(Date.now() + 2 * HOUR), endsAt: iso(Date.now() + HOUR), comment: "c" }, "endsAt: must be after startsAt"],
    [{ matchers: { name: "web" }, endsAt: iso(Date.now() + HOUR) }, "comment: "],
    [{ matchers: { name: "web" }, endsAt: iso(Date.now() + HOUR), comment: "  " }, "comment: is required"],
    [{ matchers: { message: "(unclosed" }, endsAt: iso(Date.now() + HOUR), comment: "c" }, "matchers.message: not a valid RE2 expression"],
    [{ matchers: { message: "(?=lookahead)" }, endsAt: iso(Date.now() + HOUR), comment: "c" }, "matchers.message: not a valid RE2 expression"],
    [{ matchers: { label: "x" }, endsAt: iso(Date.now() + HOUR), comment: "c" }, "matchers: Unrecognized key"],
  ])("refuses %j with 422 naming the field, storing nothing", async (body, detail) => {
    const res = await post(body);
    expect(res.status).toBe(422);
    const answer = await json(res);
    expect(answer.details.join("\n")).toContain(detail);
    expect((await env.CONFIG.list({ prefix: "silences/" })).keys).toEqual([]);
  });

  it("a body that is not JSON is 400", async () => {
    const res = await admin("/silences", { method: "POST", body: "{nope" });
    expect(res.status).toBe(400);
  });
});

describe("noise-control annotations on the Alert's status", () => {
  beforeEach(clearConfig);

  async function annotate(annotations: Record<string, string>): Promise<void> {
    const raw = JSON.parse((await env.CONFIG.get("alerts/flux-system/a"))!);
    raw.metadata.annotations = annotations;
    await env.CONFIG.put("alerts/flux-system/a", JSON.stringify(raw));
  }

  const ready = async () => (await json(await admin("/alerts/flux-system/a"))).status.conditions.find((c: { type: string }) => c.type === "Ready");

  it("slack-thread: object with an incoming-webhook Slack provider is not Ready; with chat.postMessage it is", async () => {
    await putProvider("p", { type: "slack", address: "https://hooks.slack.com/services/T0/B0/x" });
    await putAlert("a", { providerRef: { name: "p" } });
    await annotate({ "flux-relay.fluxcd.io/slack-thread": "object" });
    const webhook = await ready();
    expect(webhook).toMatchObject({ status: "False", reason: "SlackThreadUnsupported" });
    expect(webhook.message).toContain("an incoming webhook cannot");
    await putProvider("p", { type: "slack", address: "https://slack.com/api/chat.postMessage", channel: "C1", secretRef: { name: "hmac-token" } });
    expect(await ready()).toMatchObject({ status: "True" });
  });

  it("an invalid annotation makes the Alert not Ready, naming the field", async () => {
    await putProvider("p", { type: "generic", address: "http://127.0.0.1:9/x" });
    await putAlert("a", { providerRef: { name: "p" } });
    const raw = JSON.parse((await env.CONFIG.get("alerts/flux-system/a"))!);
    raw.metadata.annotations = { "flux-relay.fluxcd.io/threshold": "three", "flux-relay.fluxcd.io/notify": "changes" };
    await env.CONFIG.put("alerts/flux-system/a", JSON.stringify(raw));
    const alert = await json(await admin("/alerts/flux-system/a"));
    const ready = alert.status.conditions.find((c: { type: string }) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "InvalidNoiseControl" });
    expect(ready.message).toContain("metadata.annotations.flux-relay.fluxcd.io/threshold: must be <count>/<window>");
  });
});
