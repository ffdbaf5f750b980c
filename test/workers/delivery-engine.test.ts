import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { providerStub } from "../../src/delivery/provider-stub";
import type { ForwardedDelivery } from "../../src/delivery/outbox-item";
import { ProviderObject } from "../../src/delivery/provider-object";
import { MAX_STORED_TEXT } from "../../src/delivery/outbox-store";
import { MAX_BODY_BYTES } from "../../src/ingress/hook";
import { CaptureBox } from "../support/capture-client";
import { ADMIN, admin, captureBox, clearConfig, fixtureEvent, json, putAlert, putProvider, sendSigned, storedEvent, waitUntil } from "../support/workers";

let seq = 0;

function item(provider: string, message: string, extra: Partial<ForwardedDelivery> = {}): ForwardedDelivery {
  return { id: `test/${++seq}/flux-system/${provider}`, cluster: "test", alert: { namespace: "flux-system", name: provider }, event: JSON.stringify(storedEvent(message)), receivedAt: Date.now(), ...extra };
}

const refOf = (name: string) => ({ namespace: "flux-system", name });
const stub = (name: string) => providerStub(env, refOf(name));
const messagesOf = (reqs: { body: string }[]) => reqs.map((r) => JSON.parse(r.body).message);
const status = async (name: string) => (await json(await admin(`/providers/flux-system/${name}`))).status;
const ready = async (name: string) => (await status(name)).conditions.find((c: { type: string }) => c.type === "Ready");
const deadLetters = async (name: string) => (await json(await admin(`/providers/flux-system/${name}/deadletters`))).items;

async function generic(name: string, spec: Record<string, unknown> = {}): Promise<CaptureBox> {
  const box = captureBox();
  await putProvider(name, { type: "generic", address: box.url, ...spec });
  await putAlert(name, { providerRef: { name } });
  return box;
}

describe("poison-proof drain", () => {
  beforeEach(clearConfig);

  it("a head that throws is retried, then dead-lettered with the exception's class, while the messages behind it are delivered", async () => {
    const box = await generic("poison");
    // A row whose event cannot be parsed: every attempt at it throws inside the drain.
    await runInDurableObject(stub("poison"), (_instance, state) => {
      state.storage.sql.exec("INSERT INTO state (key, value) VALUES ('ref', ?)", JSON.stringify(refOf("poison")));
      state.storage.sql.exec(`INSERT INTO queue (item_id, cluster, alert_ns, alert_name, event, received_at, enqueued_at, due_at)
        VALUES ('poison/1', 'test', 'flux-system', 'poison', '{"truncated', 0, ?, ?)`, Date.now(), Date.now());
    });
    await stub("poison").enqueue(refOf("poison"), [item("poison", "behind 1"), item("poison", "behind 2")]);
    const reqs = await box.waitFor(2, 15_000);
    expect(messagesOf(reqs)).toEqual(["behind 1", "behind 2"]);
    const [letter] = await deadLetters("poison");
    expect(letter).toMatchObject({ attempts: 3, cluster: "test", alert: "flux-system/poison" });
    expect(letter.reason).toMatch(/^SyntaxError: /);
    const history = (await json(await admin("/providers/flux-system/poison/deliveries"))).items.map((d: { outcome: string }) => d.outcome);
    expect(history).toEqual(["delivered", "delivered", "dead-lettered", "retried", "retried"]);
    const detail = await json(await admin(`/providers/flux-system/poison/deadletters/${letter.id}`));
    expect(detail.attemptLog.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3]);
  });

  it("truncates an oversize error text to 1 KiB in dead letters, history and status", async () => {
    await putProvider("huge-error", { type: "githubpullrequestcomment", address: "https://github.com/flux/routing", secretRef: { name: "routing-github" } });
    await putAlert("huge-error", { providerRef: { name: "huge-error" } });
    // The change_request value is quoted twice into the FormatError: 400 KB of reason untruncated.
    const changeRequest = "x".repeat(200_000);
    expect((await sendSigned(fixtureEvent({ message: "huge error", metadata: { "event.toolkit.fluxcd.io/change_request": changeRequest } }))).status).toBe(202);
    const [letter] = await waitUntil(async () => ((await deadLetters("huge-error")).length ? deadLetters("huge-error") : undefined));
    expect(letter.reason.length).toBeLessThanOrEqual(MAX_STORED_TEXT);
    expect(letter.reason).toMatch(/^invalid "change_request" metadata value "xxx.*… \(truncated\)$/);
    const [row] = (await json(await admin("/providers/flux-system/huge-error/deliveries"))).items;
    expect(row.error.length).toBeLessThanOrEqual(MAX_STORED_TEXT);
    expect((await status("huge-error")).lastError.message.length).toBeLessThanOrEqual(MAX_STORED_TEXT);
  });

  it.each([
    ["1e11 seconds", "99999999999"],
    ["400 digits (Infinity)", "9".repeat(400)],
    ["a past date", "Wed, 21 Oct 2015 07:28:00 GMT"],
    ["garbage", "soon, maybe"],
  ])("Retry-After of %s never parks the queue beyond RETRY_MAX_SECONDS", async (_, retryAfter) => {
    const name = `retry-after-${++seq}`;
    const box = await generic(name);
    await box.program([{ status: 503, headers: { "Retry-After": retryAfter }, times: 1 }, { status: 200 }]);
    await stub(name).enqueue(refOf(name), [item(name, "after retry-after")]);
    const reqs = await box.waitFor(2, 10_000);
    // RETRY_MAX_SECONDS is 2 in the test configuration.
    expect(reqs[1].at - reqs[0].at).toBeLessThan(3000);
    expect((await status(name)).counters).toMatchObject({ delivered: 1, retried: 1 });
  });

  it("re-arms the alarm after a restart with a non-empty outbox", async () => {
    const box = await generic("restart");
    await runInDurableObject(stub("restart"), async (_instance, state) => {
      state.storage.sql.exec("INSERT INTO state (key, value) VALUES ('ref', ?)", JSON.stringify(refOf("restart")));
      state.storage.sql.exec(`INSERT INTO queue (item_id, cluster, alert_ns, alert_name, event, received_at, enqueued_at, due_at)
        VALUES ('restart/1', 'test', 'flux-system', 'restart', ?, 0, ?, ?)`, JSON.stringify(storedEvent("queued before the restart")), Date.now(), Date.now());
      await state.storage.deleteAlarm();
    });
    // A new instance on the same storage, as after a deploy or an eviction: its constructor arms.
    const armed = await runInDurableObject(stub("restart"), async (_instance, state) => {
      new ProviderObject(state, env);
      await state.blockConcurrencyWhile(async () => undefined);
      return state.storage.getAlarm();
    });
    expect(armed).not.toBeNull();
    expect(messagesOf(await box.waitFor(1))).toEqual(["queued before the restart"]);
  });

  it("retries while the provider is missing from KV and delivers once it appears", async () => {
    const box = captureBox();
    await stub("late").enqueue(refOf("late"), [item("late", "before the provider")]);
    await waitUntil(async () => ((await stub("late").deliveries(10)).some((d) => d.outcome === "retried") ? true : undefined));
    expect(await stub("late").deadLetters(10)).toEqual([]);
    await putProvider("late", { type: "generic", address: box.url });
    await stub("late").retryNow(refOf("late"));
    expect(messagesOf(await box.waitFor(1))).toEqual(["before the provider"]);
  });
});

describe("redirects", () => {
  beforeEach(clearConfig);

  it("does not follow a 307 to another origin with credentials", async () => {
    const elsewhere = captureBox();
    // Same capture server, other origin: localhost instead of 127.0.0.1.
    const other = elsewhere.url.replace("127.0.0.1", "localhost");
    const box = await generic("redirected", { secretRef: { name: "hmac-token" }, type: "generic-hmac" });
    await box.program([{ status: 307, headers: { Location: other } }]);
    await stub("redirected").enqueue(refOf("redirected"), [item("redirected", "carries a signature")]);
    const [letter] = await waitUntil(async () => ((await deadLetters("redirected")).length ? deadLetters("redirected") : undefined));
    expect(letter.reason).toMatch(/^HTTP 307: redirect to another origin \(http:\/\/localhost:\d+\) not followed: the request carries credentials$/);
    expect(await box.requests()).toHaveLength(1);
    expect(await elsewhere.requests()).toEqual([]);
  });

  it("follows a 307 within the same origin", async () => {
    const target = captureBox();
    const box = await generic("same-origin", { secretRef: { name: "hmac-token" }, type: "generic-hmac" });
    await box.program([{ status: 307, headers: { Location: target.url } }]);
    await stub("same-origin").enqueue(refOf("same-origin"), [item("same-origin", "stays home")]);
    const [req] = await target.waitFor(1);
    expect(JSON.parse(req.body).message).toBe("stays home");
    expect(req.headers["x-signature"]).toMatch(/^sha256=/);
  });
});

describe("storage bounds", () => {
  beforeEach(clearConfig);

  it("refuses deliveries beyond the outbox cap into QueueFull dead letters, counted", async () => {
    await generic("full");
    const store = (instance: unknown) => (instance as { store: { limits: { outbox: number } } }).store;
    expect(await runInDurableObject(stub("full"), (instance) => store(instance).limits.outbox)).toBe(100_000);
    await runInDurableObject(stub("full"), (instance) => {
      store(instance).limits.outbox = 2;
    });
    // Due in a minute, so nothing drains while the cap is reached.
    const result = await stub("full").enqueue(refOf("full"), [item("full", "1"), item("full", "2"), item("full", "3"), item("full", "4")], Date.now() + 60_000);
    expect(result).toEqual({ queued: 2, dropped: 0, refused: 2 });
    const letters = await deadLetters("full");
    expect(letters.map((l: { reason: string }) => l.reason)).toEqual([expect.stringMatching(/^QueueFull: /), expect.stringMatching(/^QueueFull: /)]);
    expect((await status("full")).counters).toMatchObject({ received: 2, refused: 2 });
    const history = await stub("full").deliveries(10);
    expect(history.filter((d) => d.outcome === "refused")).toHaveLength(2);
  });

  it("writes the counts of deliveries queued behind a long wait within seconds, without attempting them early", async () => {
    const box = await generic("parked");
    // Due in an hour: nothing drains, so only the counts' own run can write them.
    const result = await stub("parked").enqueue(refOf("parked"), [item("parked", "1"), item("parked", "2"), item("parked", "3")], Date.now() + 3_600_000);
    expect(result).toEqual({ queued: 3, dropped: 0, refused: 0 });
    const stored = () => runInDurableObject(stub("parked"), (_instance, state) => {
      const row = state.storage.sql.exec<{ value: string }>("SELECT value FROM state WHERE key = 'counters'").toArray()[0];
      return row ? (JSON.parse(row.value) as { received: number }).received : 0;
    });
    expect(await waitUntil(async () => ((await stored()) === 3 ? 3 : undefined), 10_000)).toBe(3);
    expect(await box.requests()).toHaveLength(0);
    expect((await status("parked")).queueDepth).toBe(3);
  });

  it("an event at the ingress cap is stored and delivered", async () => {
    const box = await generic("at-cap");
    const base = JSON.stringify(fixtureEvent({ message: "" }));
    const body = base.replace('"message":""', `"message":"${"x".repeat(MAX_BODY_BYTES - base.length)}"`);
    expect(body.length).toBe(MAX_BODY_BYTES);
    expect(await json(await sendSigned(body))).toEqual({ accepted: 1, duplicate: false });
    const [req] = await box.waitFor(1, 15_000);
    expect(JSON.parse(req.body).message).toHaveLength(MAX_BODY_BYTES - base.length);
    expect((await sendSigned(body.replace('"message":"', '"message":"y'))).status).toBe(413);
  });
});

describe("honest status", () => {
  beforeEach(clearConfig);

  it("is Ready=False DeliveryFailed while the latest messages end in dead letters, True again after a success", async () => {
    const box = await generic("honest");
    await box.program([{ status: 404, body: "gone", times: 2 }, { status: 200 }]);
    await stub("honest").enqueue(refOf("honest"), [item("honest", "lost 1"), item("honest", "lost 2")]);
    await waitUntil(async () => ((await deadLetters("honest")).length === 2 ? true : undefined));
    const failing = await ready("honest");
    expect(failing).toMatchObject({ status: "False", reason: "DeliveryFailed" });
    expect(failing.message).toMatch(/HTTP 404: gone/);
    expect(failing.lastTransitionTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const metrics = await (await exports.default.fetch("http://relay/metrics", { headers: ADMIN })).text();
    expect(metrics).toMatch(/flux_relay_provider_ready\{provider="flux-system\/honest",type="generic"\} 0/);
    // A GET writes nothing: the transition time read twice is the same.
    expect((await ready("honest")).lastTransitionTime).toBe(failing.lastTransitionTime);
    await stub("honest").enqueue(refOf("honest"), [item("honest", "delivered")]);
    await box.waitFor(3);
    await waitUntil(async () => ((await ready("honest")).status === "True" ? true : undefined));
    const s = await status("honest");
    expect(s.hourly.at(-1)).toMatchObject({ delivered: 1, failed: 2 });
    expect(s.latency.p50Ms).toEqual(expect.any(Number));
  });

  it("a secret that appears makes the provider Ready at once, without waiting for the backoff", async () => {
    const box = captureBox();
    await putProvider("secret-later", { type: "generic-hmac", address: box.url, secretRef: { name: "not-yet" } });
    await putAlert("secret-later", { providerRef: { name: "secret-later" } });
    await stub("secret-later").enqueue(refOf("secret-later"), [item("secret-later", "waits for its secret")]);
    await waitUntil(async () => ((await stub("secret-later").deliveries(10)).some((d) => d.outcome === "retried") ? true : undefined));
    expect(await ready("secret-later")).toMatchObject({ status: "False", reason: "SecretNotFound" });
    // A Worker secret binding cannot be added at runtime in workerd: pointing the Provider at a
    // Secret that exists is the same change as seen by the object (the binding now resolves).
    await putProvider("secret-later", { type: "generic-hmac", address: box.url, secretRef: { name: "hmac-token" } });
    expect(await ready("secret-later")).toMatchObject({ status: "True", reason: "Succeeded" });
    expect((await status("secret-later")).queueDepth).toBe(1);
  });

  it("POST .../retry tries the head now, ignoring its backoff", async () => {
    const box = await generic("retry-now");
    // Retry-After 2 s is RETRY_MAX_SECONDS in the test configuration: the retry call beats it.
    await box.program([{ status: 503, headers: { "Retry-After": "2" }, times: 1 }, { status: 200 }]);
    await stub("retry-now").enqueue(refOf("retry-now"), [item("retry-now", "again")]);
    const [first] = await box.waitFor(1);
    await waitUntil(async () => ((await status("retry-now")).nextAttemptAt > Date.now() ? true : undefined));
    const res = await admin("/providers/flux-system/retry-now/retry", { method: "POST" });
    expect(res.status).toBe(200);
    expect((await json(res)).nextAttemptAt).toBeLessThanOrEqual(Date.now());
    const reqs = await box.waitFor(2);
    expect(messagesOf(reqs)).toEqual(["again", "again"]);
    expect(reqs[1].at - first.at).toBeLessThan(1500);
  });

  it("GET .../deadletters/:id shows the event, cluster and attempts; replay and discard select by id", async () => {
    const box = await generic("detail");
    await box.program([{ status: 500, times: 1 }, { status: 400, body: "bad request", times: 2 }, { status: 200 }]);
    await stub("detail").enqueue(refOf("detail"), [item("detail", "first", { cluster: "prod-eu" }), item("detail", "second")]);
    const letters = await waitUntil(async () => ((await deadLetters("detail")).length === 2 ? deadLetters("detail") : undefined));
    const detail = await json(await admin(`/providers/flux-system/detail/deadletters/${letters[0].id}`));
    expect(detail).toMatchObject({ id: letters[0].id, cluster: "prod-eu", alert: "flux-system/detail", attempts: 2, event: { message: "first" } });
    expect(detail.attemptLog.map((a: { status: number }) => a.status)).toEqual([500, 400]);
    expect((await admin("/providers/flux-system/detail/deadletters/999999")).status).toBe(404);
    expect((await admin("/providers/flux-system/detail/deadletters/x")).status).toBe(400);
    const replay = await admin("/providers/flux-system/detail/deadletters/replay", { method: "POST", body: JSON.stringify({ ids: [letters[1].id] }) });
    expect(await json(replay)).toEqual({ replayed: 1 });
    expect(messagesOf(await box.waitFor(4))).toEqual(["first", "first", "second", "second"]);
    const discard = await admin("/providers/flux-system/detail/deadletters/discard", { method: "POST", body: JSON.stringify({ ids: [letters[0].id] }) });
    expect(await json(discard)).toEqual({ discarded: 1 });
    expect(await deadLetters("detail")).toEqual([]);
  });
});
