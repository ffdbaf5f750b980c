import { describe, expect, it } from "vitest";
import { NAMESPACE, report, route, sendStream, useCapture, useRelay, waitForDelivery, waitUntil } from "../support/e2e-kit";

const CHAIN_KEY = "chain-key-from-a-to-b";

describe("e2e: relay chain (A's generic-hmac provider posts to B's /hook)", () => {
  const capture = useCapture();
  const relayA = useRelay({
    label: "e2e-chain-a",
    secrets: {
      SECRET__FLUX_SYSTEM__CHAIN_HMAC: JSON.stringify({ token: CHAIN_KEY }),
      SECRET__FLUX_SYSTEM__CHAIN_WRONG_KEY: JSON.stringify({ token: "not-the-key-b-expects" }),
    },
  });
  // B accepts only A, as the cluster `edge-a`, with the key A signs with.
  const relayB = useRelay({ label: "e2e-chain-b", secrets: { INGRESS_KEYS: JSON.stringify({ "edge-a": CHAIN_KEY }) } });

  it("delivers through both relays, signed, in order, labelled with the cluster B's path names", async () => {
    const box = capture().box();
    await route(relayB(), "chain", { type: "generic", address: box.url });
    await route(relayA(), "chain", { type: "generic-hmac", address: `${relayB().url}/hook/edge-a` }, { secretRef: "chain-hmac" });
    const acks = await sendStream(relayA(), "prod-eu", "chain", Array.from({ length: 20 }, (_, i) => i));
    expect(acks.filter((a) => a.status !== 202)).toEqual([]);
    const { requests, stats } = await waitForDelivery([box], acks, 60_000);
    expect(stats.missing).toEqual([]);
    expect(stats.orderViolations).toEqual([]);
    const body = JSON.parse(requests[0].body);
    expect(body.involvedObject).toMatchObject({ kind: "Kustomization", name: "chain", namespace: NAMESPACE });
    // B's path is authoritative: A's `cluster: prod-eu` cannot speak for another cluster, so B
    // labels the event `edge-a`, the cluster its key belongs to (README "Cluster identity").
    expect(body.metadata).toEqual({ cluster: "edge-a", revision: "main@sha1:0123456789abcdef0123456789abcdef01234567" });
    const { items } = await relayA().admin<{ items: { outcome: string; status: number }[] }>(`/providers/${NAMESPACE}/chain/deliveries?limit=1000`);
    expect(new Set(items.map((d) => `${d.outcome} ${d.status}`))).toEqual(new Set(["delivered 202"]));
    await report("e2e relay chain A -> B -> receiver", stats);
  });

  it("dead-letters at A what B refuses with 401 (wrong HMAC key)", async () => {
    const box = capture().box();
    await route(relayB(), "chain-refused", { type: "generic", address: box.url });
    await route(relayA(), "chain-refused", { type: "generic-hmac", address: `${relayB().url}/hook/edge-a` }, { secretRef: "chain-wrong-key" });
    const acks = await sendStream(relayA(), "prod-eu", "chain-refused", [1]);
    expect(acks[0].status).toBe(202);
    const letter = await waitUntil("a dead letter at A", async () =>
      (await relayA().admin<{ items: { reason: string }[] }>(`/providers/${NAMESPACE}/chain-refused/deadletters`)).items[0], 30_000);
    expect(letter.reason).toMatch(/^HTTP 401/);
    expect(await box.requests()).toEqual([]);
  });
});
