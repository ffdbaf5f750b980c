import { describe, expect, it } from "vitest";
import { acknowledged, deliveryStats, report, route, sendStream, useCapture, useRelay, waitForDelivery, waitUntil, type Ack } from "../support/e2e-kit";

describe("e2e: crash and restart", () => {
  const capture = useCapture();
  const relay = useRelay({ label: "e2e-crash" });

  it("loses nothing it acknowledged when wrangler dev is SIGKILLed mid-backlog and restarted", async () => {
    const streams = ["crash-a", "crash-b"];
    const total = 120;
    // A receiver slower than the senders, so a backlog builds and a delivery is in flight at the kill.
    const boxes = streams.map(() => capture().box());
    for (const [i, stream] of streams.entries()) {
      await boxes[i].program([{ status: 200, delayMs: 150 }]);
      await route(relay(), stream, { type: "generic", address: boxes[i].url });
    }
    const acks: Ack[] = [];
    const delivered = async () => deliveryStats(acks, (await Promise.all(boxes.map((b) => b.requests()))).flat()).delivered;
    const sending = Promise.all(streams.map((s) => sendStream(relay(), "prod-eu", s, range(0, total), { stopOnError: true, onAck: (a) => acks.push(a) })));
    const backlog = await waitUntil("half the events acknowledged with a backlog", async () => {
      const acked = acknowledged(acks).length;
      const backlog = acked - (await delivered());
      return acked >= total && backlog >= 10 ? backlog : undefined;
    }, 90_000, 50);
    await relay().kill("SIGKILL");
    await sending;

    const acknowledgedBeforeKill = [...acks];
    const restartStarted = Date.now();
    await relay().restart();
    const restartMs = Date.now() - restartStarted;
    // The backlog drains by itself: the outbox and its alarm survived the crash.
    const drained = await waitForDelivery(boxes, acknowledgedBeforeKill, 60_000);
    expect(drained.stats.missing).toEqual([]);

    // A sender that saw its request fail sends the event again, as Flux's retrying HTTP client does.
    const resent = await Promise.all(streams.map((s) => {
      const ok = new Set(acknowledged(acks).filter((a) => a.stream === s).map((a) => a.seq));
      return sendStream(relay(), "prod-eu", s, range(0, total).filter((seq) => !ok.has(seq)), { onAck: (a) => acks.push(a) });
    }));
    expect(resent.flat().filter((a) => a.status !== 202)).toEqual([]);

    const { stats } = await waitForDelivery(boxes, acks, 90_000);
    expect(stats.missing).toEqual([]);
    expect(stats.orderViolations).toEqual([]);
    expect(stats.delivered).toBe(total * streams.length);
    await report("e2e SIGKILL mid-backlog + restart", stats, `backlog at kill ${backlog}, restart ${restartMs} ms, sent again after restart ${resent.flat().length} (${resent.flat().filter((a) => a.duplicate).length} answered duplicate)`);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
