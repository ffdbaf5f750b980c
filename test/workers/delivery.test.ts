import { beforeEach, describe, expect, it } from "vitest";
import { admin, captureBox, clearConfig, fixtureEvent, putAlert, putProvider, sendSigned, json, waitUntil } from "../support/workers";

let uniq = 0;
const fresh = (overrides: Record<string, unknown> = {}) => fixtureEvent({ message: `delivery test ${++uniq}`, ...overrides });

async function readyCondition(name: string) {
  const res = await admin(`/providers/flux-system/${name}`);
  expect(res.status).toBe(200);
  const body = await json(res);
  return { body, ready: body.status.conditions.find((c: { type: string }) => c.type === "Ready"), conditions: body.status.conditions };
}

describe("ProviderObject delivery", () => {
  beforeEach(clearConfig);

  it("retries a 500 and a 429, never before Retry-After, then delivers", async () => {
    const box = captureBox();
    await box.program([{ status: 500, times: 1 }, { status: 429, headers: { "Retry-After": "1" }, times: 1 }, { status: 200 }]);
    await putProvider("retry", { type: "generic", address: box.url });
    await putAlert("a", { providerRef: { name: "retry" } });
    expect((await sendSigned(fresh())).status).toBe(202);
    const reqs = await box.waitFor(3, 10_000);
    expect(reqs[2].at - reqs[1].at).toBeGreaterThanOrEqual(1000);
    const deliveries = (await json(await admin("/providers/flux-system/retry/deliveries"))).items;
    expect(deliveries.map((d: { outcome: string }) => d.outcome)).toEqual(["delivered", "retried", "retried"]);
    expect(deliveries[1].status).toBe(429);
  });

  it("dead-letters a 404 and replays it once the receiver is fixed", async () => {
    const box = captureBox();
    await box.program([{ status: 404, body: "no such hook", times: 1 }, { status: 200 }]);
    await putProvider("dl", { type: "generic", address: box.url });
    await putAlert("a", { providerRef: { name: "dl" } });
    await sendSigned(fresh());
    const letters = await waitUntil(async () => {
      const items = (await json(await admin("/providers/flux-system/dl/deadletters"))).items;
      return items.length ? items : undefined;
    });
    expect(letters[0].reason).toMatch(/HTTP 404/);
    const replay = await admin("/providers/flux-system/dl/deadletters/replay", { method: "POST" });
    expect(await json(replay)).toEqual({ replayed: 1 });
    const reqs = await box.waitFor(2);
    expect(reqs[1].body).toBe(reqs[0].body);
    expect((await json(await admin("/providers/flux-system/dl/deadletters"))).items).toEqual([]);
  });

  it("suspend drops new events and counts them; resume delivers again", async () => {
    const box = captureBox();
    await putProvider("sus", { type: "generic", address: box.url });
    await putAlert("a", { providerRef: { name: "sus" } });
    expect((await admin("/providers/flux-system/sus/suspend", { method: "POST" })).status).toBe(200);
    // Routed and committed at intake (the ingress does not ask every provider): dropped on arrival.
    expect(await json(await sendSigned(fresh()))).toEqual({ accepted: 1, duplicate: false });
    const body = await waitUntil(async () => {
      const { body } = await readyCondition("sus");
      return body.status.counters.dropped === 1 ? body : undefined;
    });
    expect(body.status.suspended).toBe(true);
    await admin("/providers/flux-system/sus/resume", { method: "POST" });
    expect(await json(await sendSigned(fresh()))).toEqual({ accepted: 1, duplicate: false });
    expect(await box.waitFor(1)).toHaveLength(1);
  });

  it("answers a duplicate inside the window with 202 duplicate:true and delivers once", async () => {
    const box = captureBox();
    await putProvider("dup", { type: "generic", address: box.url });
    await putAlert("a", { providerRef: { name: "dup" } });
    const event = fresh();
    expect(await json(await sendSigned(event))).toEqual({ accepted: 1, duplicate: false });
    expect(await json(await sendSigned(event))).toEqual({ accepted: 0, duplicate: true });
    await box.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await box.requests()).toHaveLength(1);
  });
});

describe("Provider status conditions", () => {
  beforeEach(clearConfig);

  it("Ready=True, Succeeded for a usable provider", async () => {
    await putProvider("ok", { type: "generic", address: "https://example.com/hook" });
    const { ready } = await readyCondition("ok");
    expect(ready).toMatchObject({ status: "True", reason: "Succeeded" });
  });

  it("Stalled InvalidURL for an address that is not a URL", async () => {
    await putProvider("bad", { type: "generic", address: "not a url" });
    const { ready, conditions } = await readyCondition("bad");
    expect(ready).toMatchObject({ status: "False", reason: "InvalidURL" });
    expect(conditions.find((c: { type: string }) => c.type === "Stalled")).toMatchObject({ status: "True", reason: "InvalidURL" });
  });

  it("Reconciling ProgressingWithRetry for a missing secret, naming the binding", async () => {
    await putProvider("nosecret", { type: "generic", address: "https://example.com/hook", secretRef: { name: "absent-secret" } });
    const { ready, conditions } = await readyCondition("nosecret");
    expect(ready).toMatchObject({ status: "False", reason: "SecretNotFound" });
    expect(ready.message).toContain("SECRET__FLUX_SYSTEM__ABSENT_SECRET");
    expect(conditions.find((c: { type: string }) => c.type === "Reconciling")).toMatchObject({ status: "True", reason: "ProgressingWithRetry" });
  });

  it("Ready=False, Unsupported for certSecretRef (Workers fetch cannot use a custom CA)", async () => {
    await putProvider("ca", { type: "generic", address: "https://example.com/hook", certSecretRef: { name: "ca" } });
    const { ready } = await readyCondition("ca");
    expect(ready).toMatchObject({ status: "False", reason: "Unsupported" });
  });

  it("Reconciling ProgressingWithRetry while deliveries fail", async () => {
    const box = captureBox();
    await box.program([{ status: 503 }]);
    await putProvider("failing", { type: "generic", address: box.url });
    await putAlert("a", { providerRef: { name: "failing" } });
    await sendSigned(fresh());
    await box.waitFor(1);
    const ready = await waitUntil(async () => {
      const r = await readyCondition("failing");
      return r.ready.status === "False" ? r : undefined;
    });
    expect(ready.ready.reason).toBe("DeliveryFailed");
    expect(ready.body.status.queueDepth).toBe(1);
    await box.program([{ status: 200 }]);
  });
});

describe("unsupported TLS settings are loud", () => {
  beforeEach(clearConfig);

  it("a ca.crt in a git provider's Secret makes it Ready=False Unsupported", async () => {
    await putProvider("gitca", { type: "github", address: "https://github.com/org/repo", secretRef: { name: "git-with-ca" } });
    const { ready } = await readyCondition("gitca");
    expect(ready).toMatchObject({ status: "False", reason: "Unsupported" });
    expect(ready.message).toMatch(/ca\.crt/);
  });
});
