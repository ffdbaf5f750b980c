import { describe, expect, it } from "vitest";
import { deliveryStats, fluxEvent, NAMESPACE, report, route, sendStream, useCapture, useRelay, waitForDelivery, waitUntil } from "../support/e2e-kit";

interface Delivery {
  outcome: string;
  status: number | null;
  error: string | null;
  attempt: number;
}

describe("e2e: delivery through a real wrangler dev", () => {
  const capture = useCapture();
  // Retry-After is honoured up to RETRY_MAX_SECONDS (src/delivery/retry-policy.ts): above the 3 s the receiver asks for.
  const relay = useRelay({ label: "e2e-delivery", vars: { RETRY_MAX_SECONDS: "5" } });

  it("delivers an event it answered 202", async () => {
    const box = capture().box();
    await route(relay(), "happy", { type: "generic", address: box.url });
    const res = await relay().hook("prod-eu", fluxEvent("happy", "happy", 1));
    expect(res).toEqual({ status: 202, body: { accepted: 1, duplicate: false } });
    const [req] = await box.waitFor(1, 30_000);
    expect(req.method).toBe("POST");
    expect(req.headers["gotk-component"]).toBe("kustomize-controller");
    const body = JSON.parse(req.body);
    expect(body.involvedObject).toMatchObject({ kind: "Kustomization", name: "happy", namespace: NAMESPACE });
    expect(body.message).toContain("e2e:happy:1");
    expect(body.metadata).toEqual({ cluster: "prod-eu", revision: "main@sha1:0123456789abcdef0123456789abcdef01234567" });
  });

  it("retries a 500 and a 429, never before Retry-After, and delivers after recovery", async () => {
    const box = capture().box();
    await box.program([
      { status: 500, body: "boom", times: 1 },
      { status: 429, headers: { "retry-after": "3" }, body: "slow down", times: 1 },
      { status: 200 },
    ]);
    await route(relay(), "retry-after", { type: "generic", address: box.url });
    const acks = await sendStream(relay(), "prod-eu", "retry-after", [1]);
    expect(acks[0].status).toBe(202);
    const requests = await box.waitFor(3, 30_000);
    expect(requests.map((r) => r.answered)).toEqual([500, 429, 200]);
    // RETRY_MIN_SECONDS=0.5 with -20 % jitter: the first retry comes no sooner than 400 ms.
    expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(400);
    expect(requests[2].at - requests[1].at).toBeGreaterThanOrEqual(3000);
    const { items } = await relay().admin<{ items: Delivery[] }>(`/providers/${NAMESPACE}/retry-after/deliveries`);
    expect(items.map((d) => [d.outcome, d.status])).toEqual([["delivered", 200], ["retried", 429], ["retried", 500]]);
    await report("e2e 500 then 429 Retry-After: 3", deliveryStats(acks, requests), `retry gap after 429: ${requests[2].at - requests[1].at} ms`);
  });

  it("delivers 200 events sent during a receiver outage, all and in order, once it recovers", async () => {
    const box = capture().box();
    await box.program([{ status: 503, body: "down" }]);
    await route(relay(), "outage", { type: "generic", address: box.url });
    const acks = await sendStream(relay(), "prod-eu", "outage", Array.from({ length: 200 }, (_, i) => i));
    expect(acks.filter((a) => a.status !== 202)).toEqual([]);
    // During the outage only the head of the queue is tried, again and again.
    const during = await box.requests();
    expect(during.length).toBeGreaterThan(0);
    expect(new Set(during.map((r) => JSON.parse(r.body).message))).toHaveLength(1);
    const recoveredAt = Date.now();
    await box.program([{ status: 200 }]);
    const { requests, stats } = await waitForDelivery([box], acks, 60_000);
    expect(stats.missing).toEqual([]);
    expect(stats.orderViolations).toEqual([]);
    expect(stats.delivered).toBe(200);
    const last = requests.filter((r) => r.answered === 200).at(-1)!;
    await report("e2e 200 events through an outage", stats, `drained ${last.at - recoveredAt} ms after recovery`);
  });

  it("dead-letters a 404 and delivers it on replay once the receiver is fixed", async () => {
    const box = capture().box();
    await box.program([{ status: 404, body: "no such hook" }]);
    await route(relay(), "gone", { type: "generic", address: box.url });
    const acks = await sendStream(relay(), "prod-eu", "gone", [1]);
    expect(acks[0].status).toBe(202);
    const path = `/providers/${NAMESPACE}/gone/deadletters`;
    const letter = await waitUntil("a dead letter", async () => (await relay().admin<{ items: { id: number; reason: string; attempts: number }[] }>(path)).items[0], 30_000);
    expect(letter.reason).toMatch(/^HTTP 404/);
    expect(letter.attempts).toBe(1);
    expect(await box.requests()).toHaveLength(1);

    await box.program([{ status: 200 }]);
    expect(await relay().admin(`${path}/replay`, { method: "POST" })).toEqual({ replayed: 1 });
    const { stats } = await waitForDelivery([box], acks, 30_000);
    expect(stats.missing).toEqual([]);
    expect((await relay().admin<{ items: unknown[] }>(path)).items).toEqual([]);
    const status = await relay().admin<{ status: { counters: { delivered: number; deadLettered: number } } }>(`/providers/${NAMESPACE}/gone`);
    expect(status.status.counters).toMatchObject({ delivered: 1, deadLettered: 1 });
  });
});
