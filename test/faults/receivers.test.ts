import { describe, expect, it } from "vitest";
import type { CapturedRequest } from "../support/capture-server";
import { deliveryStats, NAMESPACE, report, route, sendStream, useCapture, useRelay, waitForDelivery, waitUntil, type Ack } from "../support/e2e-kit";

interface Delivery {
  outcome: string;
  status: number | null;
  error: string | null;
  latencyMs: number;
}

describe("faults: receivers that fail, throttle, stall and hang up", () => {
  const capture = useCapture();
  // Config is written only through the admin API, which refreshes the serving isolate's cache at
  // once: caching spares the 1,000-event ingress a KV listing per request.
  const relay = useRelay({ label: "faults-receivers", vars: { CONFIG_TTL_SECONDS: "60" } });

  const deliveries = async (provider: string) =>
    (await relay().admin<{ items: Delivery[] }>(`/providers/${NAMESPACE}/${provider}/deliveries?limit=1000`)).items.reverse();

  it("delivers 1,000 events queued across 5 providers during an outage, in order per provider", async () => {
    const streams = Array.from({ length: 5 }, (_, i) => `outage-${i}`);
    const boxes = streams.map(() => capture().box());
    for (const [i, stream] of streams.entries()) {
      await boxes[i].program([{ status: 503, body: "maintenance" }]);
      await route(relay(), stream, { type: "generic", address: boxes[i].url });
    }
    const started = Date.now();
    const acks = (await Promise.all(streams.map((s) => sendStream(relay(), "prod-eu", s, Array.from({ length: 200 }, (_, i) => i), { window: 3 })))).flat();
    const sendMs = Date.now() - started;
    expect(acks.filter((a) => a.status !== 202)).toEqual([]);
    const during = deliveryStats(acks, (await Promise.all(boxes.map((b) => b.requests()))).flat());
    expect(during.delivered).toBe(0);

    const recoveredAt = Date.now();
    await Promise.all(boxes.map((b) => b.program([{ status: 200 }])));
    const { requests, stats } = await waitForDelivery(boxes, acks, 120_000);
    expect(stats.missing).toEqual([]);
    expect(stats.orderViolations).toEqual([]);
    expect(stats.delivered).toBe(1000);
    const drainMs = Math.max(...requests.filter((r) => r.answered === 200).map((r) => r.at)) - recoveredAt;
    await report("faults outage: 1,000 events / 5 providers", stats, `sent in ${sendMs} ms, drained ${drainMs} ms after recovery`);
  });

  it("never retries earlier than Retry-After, even while new events keep arriving", async () => {
    const box = capture().box();
    await box.program([
      { status: 429, headers: { "retry-after": "2" }, body: "rate limited", times: 2 },
      { status: 503, headers: { "retry-after": "1" }, body: "busy", times: 1 },
      { status: 200 },
    ]);
    await route(relay(), "throttled", { type: "generic", address: box.url });
    const acks: Ack[] = [];
    // Each enqueue points the alarm at "now": the relay must still wait for the head's Retry-After.
    for (let seq = 0; seq < 6; seq++) {
      acks.push(...(await sendStream(relay(), "prod-eu", "throttled", [seq])));
      await new Promise((r) => setTimeout(r, 400));
    }
    const { requests, stats } = await waitForDelivery([box], acks, 60_000);
    expect(stats.missing).toEqual([]);
    expect(stats.orderViolations).toEqual([]);
    const gaps = retryAfterGaps(requests, { 429: 2000, 503: 1000 });
    expect(gaps.map((g) => g.gapMs >= g.minMs)).toEqual([true, true, true]);
    await report("faults 429/503 with Retry-After", stats, `gaps after throttling: ${gaps.map((g) => `${g.gapMs} ms (>= ${g.minMs})`).join(", ")}`);
  });

  it("classifies a receiver slower than spec.timeout as a timeout and retries it", async () => {
    const box = capture().box();
    await box.program([{ status: 200, delayMs: 2500, times: 1 }, { status: 200 }]);
    await route(relay(), "stalled", { type: "generic", address: box.url, timeout: "1s" });
    const acks = await sendStream(relay(), "prod-eu", "stalled", [1]);
    const { stats } = await waitForDelivery([box], acks, 30_000);
    expect(stats.missing).toEqual([]);
    // The stalled answer settles only after its delay, when the relay has long given up on it.
    const requests = await waitUntil("the stalled answer", async () => {
      const got = await box.requests();
      return got.every((r) => r.answered !== undefined) && got;
    }, 10_000);
    expect(requests.map((r) => r.answered)).toEqual(["client-gone", 200]);
    const history = await deliveries("stalled");
    expect(history.map((d) => d.outcome)).toEqual(["retried", "delivered"]);
    expect(history[0].error).toMatch(/^timeout: no answer within 1000 ms/);
    expect(history[0].latencyMs).toBeGreaterThanOrEqual(1000);
    expect(history[0].latencyMs).toBeLessThan(2500);
    await report("faults receiver slower than spec.timeout", stats, `attempt 1: ${history[0].error} after ${history[0].latencyMs} ms`);
  });

  it("retries a receiver that closes the connection mid-response", async () => {
    const box = capture().box();
    await box.program([{ status: 0, hangUp: true, times: 2 }, { status: 200 }]);
    await route(relay(), "rude", { type: "generic", address: box.url });
    const acks = await sendStream(relay(), "prod-eu", "rude", [1, 2]);
    const { requests, stats } = await waitForDelivery([box], acks, 30_000);
    expect(stats.missing).toEqual([]);
    expect(stats.orderViolations).toEqual([]);
    expect(requests.map((r) => r.answered)).toEqual(["hang-up", "hang-up", 200, 200]);
    const history = await deliveries("rude");
    expect(history.map((d) => d.outcome)).toEqual(["retried", "retried", "delivered", "delivered"]);
    for (const d of history.slice(0, 2)) expect(d.error).toMatch(/^connection error: /);
    await report("faults receiver hangs up mid-response", stats, `attempt 1: ${history[0].error}`);
  });
});

/** For every throttled answer with a Retry-After: how long until the next attempt came. */
function retryAfterGaps(requests: CapturedRequest[], minMs: Record<number, number>): { gapMs: number; minMs: number }[] {
  const gaps: { gapMs: number; minMs: number }[] = [];
  for (let i = 0; i + 1 < requests.length; i++) {
    const answered = requests[i].answered;
    if (typeof answered === "number" && minMs[answered] !== undefined) gaps.push({ gapMs: requests[i + 1].at - requests[i].at, minMs: minMs[answered] });
  }
  return gaps;
}
