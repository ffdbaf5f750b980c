import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { admin, captureBox, clearConfig, json, putProvider, sendSigned, waitUntil } from "../support/workers";
import type { CaptureBox } from "../support/capture-client";

// Noise control and silences through the real intake path: signed /hook requests, the cluster's
// intake log, the provider's outbox, the capture server (docs/noise-control.md).

const NS = "flux-system";
let uniq = 0;

/** A HelmRelease event, unique by its message so the dedup window never folds two of a script. */
function hrEvent(name: string, severity: "info" | "error", message?: string): Record<string, unknown> {
  const n = ++uniq;
  return {
    involvedObject: { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name, namespace: "apps" },
    severity,
    reason: severity === "error" ? "UpgradeFailed" : "UpgradeSucceeded",
    message: message ? `${message} #${n}` : `${severity === "error" ? "Helm upgrade failed" : "Helm upgrade succeeded"} #${n}`,
    metadata: { "helm.toolkit.fluxcd.io/revision": "1.2.3" },
    reportingController: "helm-controller",
    timestamp: "2026-12-03T18:00:00Z",
  };
}

async function putNoiseAlert(name: string, provider: string, annotations: Record<string, string>): Promise<void> {
  await env.CONFIG.put(`alerts/${NS}/${name}`, JSON.stringify({
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    metadata: { name, namespace: NS, annotations },
    spec: { providerRef: { name: provider }, eventSources: [{ kind: "HelmRelease", name: "*", namespace: "apps" }] },
  }));
}

/** A generic provider on its own capture box, with pacing off, and one Alert with `annotations`. */
async function route(name: string, annotations: Record<string, string>): Promise<CaptureBox> {
  const box = captureBox();
  await putProvider(name, { type: "generic", address: box.url }, { metadata: { annotations: { "flux-relay.fluxcd.io/min-interval": "0s" } } });
  await putNoiseAlert(name, name, annotations);
  return box;
}

async function send(event: Record<string, unknown>, cluster = "test"): Promise<void> {
  const res = await sendSigned(event, { cluster });
  expect(res.status).toBe(202);
}

/** Every delivery the box received as `<message without the #n>|<transition or ->`, once `count` arrived and nothing more came. */
async function received(box: CaptureBox, count: number): Promise<string[]> {
  await box.waitFor(count);
  await new Promise((r) => setTimeout(r, 300));
  return (await box.requests()).map((r) => {
    const body = JSON.parse(r.body);
    return `${body.involvedObject.name}:${body.severity}|${body.metadata?.transition ?? "-"}`;
  });
}

/** Config and silences: a silence left by one test would hold back the next test's events. */
async function clearAll(): Promise<void> {
  await clearConfig();
  const { keys } = await env.CONFIG.list({ prefix: "silences/" });
  await Promise.all(keys.map((k) => env.CONFIG.delete(k.name)));
}

const SCRIPT: ("info" | "error")[] = ["info", "error", "error", "error", "error", "error", "info", "error", "info"];

/** The history outcomes of a provider, oldest first. */
async function history(provider: string): Promise<{ outcome: string; error: string | null }[]> {
  const items = (await json(await admin(`/providers/${NS}/${provider}/deliveries?limit=1000`))).items as { outcome: string; error: string | null }[];
  return items.reverse();
}

describe("noise control through the intake path: scripted sequences", () => {
  beforeEach(clearAll);

  it("notify: all delivers all nine events with their transitions", async () => {
    const box = await route("n-all", { "flux-relay.fluxcd.io/notify": "all" });
    for (const severity of SCRIPT) await send(hrEvent("web", severity));
    expect(await received(box, 9)).toEqual([
      "web:info|-", "web:error|failing", "web:error|still-failing", "web:error|still-failing", "web:error|still-failing",
      "web:error|still-failing", "web:info|recovered", "web:error|failing", "web:info|recovered",
    ]);
  });

  it("without annotations nothing changes: every event, no transition key (Flux's behaviour)", async () => {
    const box = await route("n-none", {});
    for (const severity of SCRIPT) await send(hrEvent("web", severity));
    expect((await received(box, 9)).every((line) => line.endsWith("|-"))).toBe(true);
  });

  it("notify: changes delivers failure, recovery, failure, recovery; the rest is in history as suppressed", async () => {
    const box = await route("n-changes", { "flux-relay.fluxcd.io/notify": "changes" });
    for (const severity of SCRIPT) await send(hrEvent("web", severity));
    expect(await received(box, 4)).toEqual(["web:error|failing", "web:info|recovered", "web:error|failing", "web:info|recovered"]);
    const rows = await waitUntil(async () => {
      const h = await history("n-changes");
      return h.length === 9 ? h : undefined;
    });
    expect(rows.filter((r) => r.outcome === "suppressed").map((r) => r.error)).toEqual(Array(5).fill("notify: changes"));
    expect(rows.filter((r) => r.outcome === "delivered")).toHaveLength(4);
  });

  it("notify: changes with repeat-interval: one reminder once the interval has passed, with the latest error", async () => {
    const box = await route("n-repeat", { "flux-relay.fluxcd.io/notify": "changes", "flux-relay.fluxcd.io/repeat-interval": "1s" });
    await send(hrEvent("web", "error"));
    await send(hrEvent("web", "error"));
    await new Promise((r) => setTimeout(r, 1100));
    await send(hrEvent("web", "error", "still broken"));
    await send(hrEvent("web", "error"));
    await send(hrEvent("web", "info"));
    await box.waitFor(3);
    const bodies = (await box.requests()).map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => b.metadata.transition)).toEqual(["failing", "still-failing", "recovered"]);
    expect(bodies[1].message).toMatch(/^still broken/);
    const rows = await history("n-repeat");
    expect(rows.filter((r) => r.outcome === "suppressed").map((r) => r.error)).toEqual(["repeat-interval 1s", "repeat-interval 1s"]);
  });

  it("threshold 3/10m: failing only at the third error", async () => {
    const box = await route("n-threshold", { "flux-relay.fluxcd.io/threshold": "3/10m" });
    for (const severity of SCRIPT) await send(hrEvent("web", severity));
    expect(await received(box, 6)).toEqual([
      "web:info|-", "web:error|failing", "web:error|still-failing", "web:error|still-failing", "web:info|recovered", "web:info|-",
    ]);
    const rows = await history("n-threshold");
    expect(rows.filter((r) => r.outcome === "suppressed").map((r) => r.error)).toEqual(Array(3).fill("threshold 3/10m"));
  });

  it("two clusters with the same object keep separate states", async () => {
    const box = await route("n-clusters", { "flux-relay.fluxcd.io/notify": "changes" });
    await send(hrEvent("web", "error"), "east");
    await send(hrEvent("web", "error"), "west");
    await send(hrEvent("web", "info"), "east");
    await send(hrEvent("web", "error"), "west");
    await box.waitFor(3);
    await new Promise((r) => setTimeout(r, 300));
    const bodies = (await box.requests()).map((r) => JSON.parse(r.body));
    // Each cluster's events keep their order; the two clusters' intake logs forward independently.
    const of = (cluster: string) => bodies.filter((b) => b.metadata.cluster === cluster).map((b) => b.metadata.transition);
    expect(of("east")).toEqual(["failing", "recovered"]);
    expect(of("west")).toEqual(["failing"]);
  });
});

describe("silences through the intake path", () => {
  beforeEach(clearAll);

  async function silence(matchers: Record<string, string>, endsAt: number, comment = "maintenance"): Promise<string> {
    const res = await admin("/silences", { method: "POST", body: JSON.stringify({ matchers, endsAt: new Date(endsAt).toISOString(), comment }) });
    expect(res.status).toBe(201);
    return (await json(res)).id;
  }

  it("a silence by glob holds back matching events only, recorded as silenced with its id and comment", async () => {
    const box = await route("s-glob", {});
    const id = await silence({ cluster: "prod-*", name: "web-*" }, Date.now() + 3_600_000, "db upgrade CHG-1");
    await send(hrEvent("web-1", "error"), "prod-eu");
    await send(hrEvent("api", "error"), "prod-eu");
    await send(hrEvent("web-1", "error"), "staging");
    expect((await received(box, 2)).sort()).toEqual(["api:error|-", "web-1:error|-"]);
    const bodies = (await box.requests()).map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => `${b.involvedObject.name}@${b.metadata.cluster}`).sort()).toEqual(["api@prod-eu", "web-1@staging"]);
    const rows = await waitUntil(async () => {
      const h = await history("s-glob");
      return h.length === 3 ? h : undefined;
    });
    expect(rows.filter((r) => r.outcome === "silenced").map((r) => r.error)).toEqual([`silence ${id}: db upgrade CHG-1`]);
  });

  it("a silence by message regex (RE2)", async () => {
    const box = await route("s-regex", {});
    await silence({ message: "(?i)^helm UPGRADE failed" }, Date.now() + 3_600_000);
    await send(hrEvent("web", "error"));
    await send(hrEvent("web", "error", "timed out waiting for the condition"));
    expect(await received(box, 1)).toEqual(["web:error|-"]);
    expect(JSON.parse((await box.requests())[0].body).message).toMatch(/^timed out/);
  });

  it("an event just after endsAt is delivered; an expired (DELETEd) silence holds nothing back", async () => {
    const box = await route("s-expiry", {});
    const endsAt = Date.now() + 1500;
    await silence({ name: "web" }, endsAt);
    const deleted = await silence({ name: "api" }, Date.now() + 3_600_000);
    await send(hrEvent("web", "error"));
    expect((await admin(`/silences/${deleted}`, { method: "DELETE" })).status).toBe(200);
    await send(hrEvent("api", "error"));
    await new Promise((r) => setTimeout(r, Math.max(0, endsAt - Date.now()) + 50));
    await send(hrEvent("web", "error"));
    expect(await received(box, 2)).toEqual(["api:error|-", "web:error|-"]);
    const rows = await waitUntil(async () => {
      const h = await history("s-expiry");
      return h.length === 3 ? h : undefined;
    });
    expect(rows.map((r) => r.outcome)).toEqual(["silenced", "delivered", "delivered"]);
  });
});

describe("suppressed and silenced in metrics and the Alert's status", () => {
  beforeEach(clearAll);

  it("counts them per provider, Alert and rule", async () => {
    const box = await route("m-noise", { "flux-relay.fluxcd.io/notify": "changes" });
    for (const severity of ["error", "error", "error", "info"] as const) await send(hrEvent("web", severity));
    await silence();
    await box.waitFor(2);
    const families = await waitUntil(async () => {
      const text = await (await exports.default.fetch("http://relay/metrics", { headers: { authorization: "Bearer test-admin-token" } })).text();
      const parsed = parsePrometheusTextFormat(text) as { name: string; metrics: { labels: Record<string, string>; value: string }[] }[];
      const suppressed = parsed.find((f) => f.name === "flux_relay_events_suppressed_total");
      const silenced = parsed.find((f) => f.name === "flux_relay_events_silenced_total");
      const mine = suppressed?.metrics.find((m) => m.labels.provider === `${NS}/m-noise`);
      return suppressed && mine && Number(mine.value) === 2 && silenced ? { suppressed, silenced } : undefined;
    });
    expect(families.suppressed.metrics.find((m) => m.labels.provider === `${NS}/m-noise`)?.labels).toEqual({ provider: `${NS}/m-noise`, cluster: "test", alert: `${NS}/m-noise`, reason: "notify: changes" });
    expect(families.silenced.metrics.find((m) => m.labels.provider === `${NS}/m-noise`)?.value).toBe("1");
    const alert = await json(await admin(`/alerts/${NS}/m-noise`));
    expect(alert.status.noise).toEqual({ suppressed: 2, silenced: 1 });

    async function silence(): Promise<void> {
      await admin("/silences", { method: "POST", body: JSON.stringify({ matchers: { name: "web" }, endsAt: new Date(Date.now() + 3_600_000).toISOString(), comment: "c" }) });
      await send(hrEvent("web", "error"));
    }
  });
});

describe("Slack threads", () => {
  beforeEach(clearAll);

  it("posts the first failure, replies with its thread_ts, broadcasts the recovery, then forgets the thread", async () => {
    const box = captureBox();
    await box.program([
      { status: 200, body: JSON.stringify({ ok: true, channel: "C1", ts: "1700000000.000100" }), times: 1 },
      { status: 200, body: JSON.stringify({ ok: true, channel: "C1", ts: "1700000099.000200" }) },
    ]);
    await putProvider("slack-bot", { type: "slack", address: `${box.url}/api/chat.postMessage`, channel: "C1", secretRef: { name: "hmac-token" } }, {
      metadata: { annotations: { "flux-relay.fluxcd.io/min-interval": "0s" } },
    });
    await putNoiseAlert("threads", "slack-bot", {
      "flux-relay.fluxcd.io/notify": "changes",
      "flux-relay.fluxcd.io/repeat-interval": "1s",
      "flux-relay.fluxcd.io/slack-thread": "object",
    });
    await send(hrEvent("web", "error"));
    await box.waitFor(1);
    await new Promise((r) => setTimeout(r, 1100));
    await send(hrEvent("web", "error"));
    await send(hrEvent("web", "info"));
    await send(hrEvent("web", "error"));
    const bodies = (await box.waitFor(4)).map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => [b.thread_ts ?? null, b.reply_broadcast ?? null])).toEqual([
      [null, null],
      ["1700000000.000100", null],
      ["1700000000.000100", true],
      [null, null],
    ]);
    const alert = await json(await admin(`/alerts/${NS}/threads`));
    expect(alert.status.conditions.find((c: { type: string }) => c.type === "Ready").status).toBe("True");
  });
});
