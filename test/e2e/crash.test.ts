import { describe, expect, it } from "vitest";
import { acknowledged, deliveryStats, report, route, sendStream, useCapture, useRelay, waitForDelivery, waitUntil, type Ack } from "../support/e2e-kit";

describe("e2e: crash and restart", () => {
  const capture = useCapture();
  const relay = useRelay({ label: "e2e-crash" });

  it("loses nothing it acknowledged when wrangler dev is SIGKILLed mid-backlog and restarted", async () => {
    const streams = ["crash-a", "crash-b"];
    const total = 60;
    const all = Array.from({ length: total }, (_, i) => i);
    const boxes = streams.map(() => capture().box());
    // An outage first, so a backlog builds whatever the relative speed of ingress and delivery.
    for (const [i, stream] of streams.entries()) {
      await boxes[i].program([{ status: 503 }]);
      await route(relay(), stream, { type: "generic", address: boxes[i].url });
    }
    const acks: Ack[] = [];
    const delivered = async () => deliveryStats(acks, (await Promise.all(boxes.map((b) => b.requests()))).flat()).delivered;
    const sending = Promise.all(streams.map((s) => sendStream(relay(), "prod-eu", s, all, { stopOnError: true, onAck: (a) => acks.push(a) })));
    await waitUntil("half the events acknowledged", async () => acknowledged(acks).length >= total, 90_000, 50);
    // A slow receiver, so a delivery is in flight when the process dies.
    await Promise.all(boxes.map((b) => b.program([{ status: 200, delayMs: 80 }])));
    await waitUntil("deliveries under way", async () => (await delivered()) >= 4, 30_000, 50);
    const backlog = acknowledged(acks).length - (await delivered());
    await relay().kill("SIGKILL");
    await sending;

    const acknowledgedBeforeKill = [...acks];
    const restartStarted = Date.now();
    await relay().restart();
    const restartMs = Date.now() - restartStarted;
    // Nothing is sent yet: only the outboxes' alarms, persisted across the crash, can drain them.
    const drained = await waitForDelivery(boxes, acknowledgedBeforeKill, 60_000);
    expect(drained.stats.missing).toEqual([]);

    // A sender that saw its request fail sends the event again, as Flux's retrying HTTP client does.
    const resent = (await Promise.all(streams.map((s) => {
      const ok = new Set(acknowledged(acks).filter((a) => a.stream === s).map((a) => a.seq));
      return sendStream(relay(), "prod-eu", s, all.filter((seq) => !ok.has(seq)), { onAck: (a) => acks.push(a) });
    }))).flat();
    expect(resent.filter((a) => a.status !== 202)).toEqual([]);

    const { stats } = await waitForDelivery(boxes, acks, 90_000);
    expect(stats.missing).toEqual([]);
    expect(stats.orderViolations).toEqual([]);
    expect(stats.delivered).toBe(total * streams.length);
    await report("e2e SIGKILL mid-backlog + restart", stats, `backlog at kill ${backlog}, restart ${restartMs} ms, ${resent.filter((a) => a.duplicate).length} re-sends answered duplicate`);
  });
});
