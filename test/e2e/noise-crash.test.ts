import { describe, expect, it } from "vitest";
import { NAMESPACE, useCapture, useRelay, waitUntil } from "../support/e2e-kit";

// Noise control's state lives in the cluster's Durable Object (src/rules/noise.ts): a wrangler dev
// killed between a failure and its recovery must still know, after the restart, that the object
// was failing, so the recovery is delivered and marked as one.

function helmEvent(severity: "info" | "error", n: number): Record<string, unknown> {
  return {
    involvedObject: { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "web", namespace: "apps" },
    severity,
    reason: severity === "error" ? "UpgradeFailed" : "UpgradeSucceeded",
    message: `${severity === "error" ? "Helm upgrade failed" : "Helm upgrade succeeded"} (e2e noise ${n})`,
    metadata: { "helm.toolkit.fluxcd.io/revision": "1.2.3" },
    reportingController: "helm-controller",
    timestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}

describe("e2e: noise control across a crash", () => {
  const capture = useCapture();
  const relay = useRelay({ label: "e2e-noise-crash" });

  it("a SIGKILL between a failure and its recovery keeps the state: the recovery is still marked recovered", async () => {
    const box = capture().box();
    const name = "noise-crash";
    await relay().admin(`/providers/${NAMESPACE}/${name}`, {
      method: "PUT",
      body: { apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Provider", metadata: { name, namespace: NAMESPACE }, spec: { type: "generic", address: box.url } },
    });
    await relay().admin(`/alerts/${NAMESPACE}/${name}`, {
      method: "PUT",
      body: {
        apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
        kind: "Alert",
        metadata: { name, namespace: NAMESPACE, annotations: { "flux-relay.fluxcd.io/notify": "changes" } },
        spec: { providerRef: { name }, eventSources: [{ kind: "HelmRelease", name: "web", namespace: "apps" }] },
      },
    });
    expect((await relay().hook("prod-eu", helmEvent("error", 1))).status).toBe(202);
    expect((await relay().hook("prod-eu", helmEvent("error", 2))).status).toBe(202);
    await waitUntil("the failure delivered", async () => (await box.requests()).length >= 1, 30_000);

    await relay().kill("SIGKILL");
    await relay().restart();

    expect((await relay().hook("prod-eu", helmEvent("error", 3))).status).toBe(202);
    expect((await relay().hook("prod-eu", helmEvent("info", 4))).status).toBe(202);
    const requests = await waitUntil("the recovery delivered", async () => {
      const got = await box.requests();
      return got.length >= 2 ? got : undefined;
    }, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    // Delivery is at least once: a kill right after the receiver answered and before the relay
    // recorded it resends that same notice (same numbered message). A lost state would instead
    // deliver a later error (another number) as a new failure, which this still catches.
    const received = (await box.requests()).map((r) => JSON.parse(r.body));
    const bodies = received.filter((b, i) => received.findIndex((o) => o.message === b.message) === i);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(bodies.map((b) => `${b.message.replace(/ \(e2e noise \d+\)/, "")}|${b.metadata.transition}`)).toEqual([
      "Helm upgrade failed|failing",
      "Helm upgrade succeeded|recovered",
    ]);
  });
});
