import { describe, expect, it } from "vitest";
import { acknowledged, deliveryStats, NAMESPACE, report, route, sendStream, useCapture, useRelay, waitForDelivery, waitUntil, type Ack } from "../support/e2e-kit";

describe("faults: wrangler dev killed mid-backlog", () => {
  const capture = useCapture();
  const relay = useRelay({ label: "faults-crash" });

  it("loses nothing acknowledged across two SIGKILLs (while ingesting, then while draining)", async () => {
    const streams = Array.from({ length: 5 }, (_, i) => `crash-${i}`);
    const perStream = 80;
    const all = Array.from({ length: perStream }, (_, i) => i);
    const boxes = streams.map(() => capture().box());
    // An outage first, so a backlog builds whatever the relative speed of ingress and delivery.
    for (const [i, stream] of streams.entries()) {
      await boxes[i].program([{ status: 503 }]);
      await route(relay(), stream, { type: "generic", address: boxes[i].url });
    }
    const acks: Ack[] = [];
    const delivered = async () => deliveryStats(acks, (await Promise.all(boxes.map((b) => b.requests()))).flat()).delivered;

    // Kill 1: senders mid-request, every provider mid-delivery to a slow receiver.
    const sending = Promise.all(streams.map((s) => sendStream(relay(), "prod-eu", s, all, { window: 2, stopOnError: true, onAck: (a) => acks.push(a) })));
    await waitUntil("40 % of the events acknowledged", async () => acknowledged(acks).length >= streams.length * perStream * 0.4, 120_000, 50);
    await Promise.all(boxes.map((b) => b.program([{ status: 200, delayMs: 80 }])));
    await waitUntil("deliveries under way", async () => (await delivered()) >= 10, 30_000, 50);
    const backlogAtKill1 = acknowledged(acks).length - (await delivered());
    await relay().kill("SIGKILL");
    const cut = (await sending).flat().filter((a) => a.status === "error").length;
    await relay().restart();

    // Senders whose request failed send the event again (Flux's HTTP client retries), then the rest.
    const resent = (await Promise.all(streams.map((s) => {
      const ok = new Set(acknowledged(acks).filter((a) => a.stream === s).map((a) => a.seq));
      return sendStream(relay(), "prod-eu", s, all.filter((seq) => !ok.has(seq)), { window: 2, onAck: (a) => acks.push(a) });
    }))).flat();
    expect(resent.filter((a) => a.status !== 202)).toEqual([]);

    // Kill 2: nothing arrives any more and the outboxes are draining, so only their alarms can
    // finish the job after the restart.
    const backlogAtKill2 = await waitUntil("a draining backlog", async () => {
      const backlog = acknowledged(acks).length - (await delivered());
      return backlog > 0 && backlog <= streams.length * perStream * 0.6 ? backlog : undefined;
    }, 60_000, 50);
    await relay().kill("SIGKILL");
    await relay().restart();

    const { stats } = await waitForDelivery(boxes, acks, 120_000);
    expect(stats.missing).toEqual([]);
    expect(stats.orderViolations).toEqual([]);
    expect(stats.delivered).toBe(streams.length * perStream);
    const duplicateAnswers = resent.filter((a) => a.duplicate).length;
    await report("faults 2x SIGKILL + restart, 5 providers", stats, `backlog at kills ${backlogAtKill1}/${backlogAtKill2}, ${cut} requests cut, ${duplicateAnswers} re-sends answered duplicate`);
  });

  it("loses nothing and duplicates nothing when killed between intake and forwarding (fan-out to 40 providers)", async () => {
    const providers = Array.from({ length: 40 }, (_, i) => `fanout-${String(i).padStart(2, "0")}`);
    const boxes = providers.map(() => capture().box());
    // Every provider takes Kustomization `fanout`: each event is 40 rows of the cluster's intake
    // log, forwarded to at most 32 providers per alarm run, so a burst keeps a backlog there.
    for (const [i, name] of providers.entries()) {
      await relay().admin(`/providers/${NAMESPACE}/${name}`, {
        method: "PUT",
        body: { apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Provider", metadata: { name, namespace: NAMESPACE }, spec: { type: "generic", address: boxes[i].url } },
      });
      await relay().admin(`/alerts/${NAMESPACE}/${name}`, {
        method: "PUT",
        body: { apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Alert", metadata: { name, namespace: NAMESPACE }, spec: { providerRef: { name }, eventSources: [{ kind: "Kustomization", name: "fanout" }] } },
      });
    }
    const total = 30;
    const all = Array.from({ length: total }, (_, i) => i);
    const acks: Ack[] = [];
    const sending = sendStream(relay(), "fan-cluster", "fanout", all, { window: 4, stopOnError: true, onAck: (a) => acks.push(a) });
    const backlogAtKill = await waitUntil("acknowledged events still waiting in the intake log", async () => {
      const view = await relay().admin<{ backlog: number }>("/clusters/fan-cluster").catch(() => undefined);
      return view && view.backlog > 0 && acknowledged(acks).length > 0 ? view.backlog : undefined;
    }, 150_000, 20);
    await relay().kill("SIGKILL");
    await sending;
    const acknowledgedAtKill = acknowledged(acks).length;
    await relay().restart();

    // Only the cluster object's alarm, persisted across the crash, can forward what was pending.
    for (const box of boxes) {
      const { stats } = await waitForDelivery([box], acks, 240_000);
      expect(stats.missing).toEqual([]);
    }
    // The senders whose request was cut send again; then everything is delivered.
    const resent = await sendStream(relay(), "fan-cluster", "fanout", all.filter((seq) => !acknowledged(acks).some((a) => a.seq === seq)), { onAck: (a) => acks.push(a) });
    expect(resent.filter((a) => a.status !== 202)).toEqual([]);
    let duplicates = 0;
    for (const box of boxes) {
      const { stats } = await waitForDelivery([box], acks, 240_000);
      expect(stats.missing).toEqual([]);
      expect(stats.orderViolations).toEqual([]);
      expect(stats.delivered).toBe(total);
      duplicates += stats.duplicates;
    }
    // At-least-once only where a provider was mid-attempt at the kill (one head per provider);
    // the forward itself is idempotent, so a re-forward adds nothing.
    expect(duplicates).toBeLessThanOrEqual(providers.length);
    const stats = deliveryStats(acks, (await Promise.all(boxes.map((b) => b.requests()))).flat());
    await report("faults SIGKILL between intake and forwarding, 40 providers", { ...stats, delivered: stats.delivered, duplicates }, `intake backlog at kill ${backlogAtKill} deliveries, ${acknowledgedAtKill} events acknowledged before the kill`);
  });
});
