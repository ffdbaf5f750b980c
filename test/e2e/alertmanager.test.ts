import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Alertmanager, ensureAlertmanager } from "../support/alertmanager";
import { fluxEvent, NAMESPACE, waitUntil, useRelay } from "../support/e2e-kit";

const REVISION = "main@sha1:0123456789abcdef0123456789abcdef01234567";
// A first install fetches the package index and the package; a loaded machine needs minutes.
const INSTALL_HOOK_TIMEOUT_MS = 600_000;

interface Delivery {
  outcome: string;
  status: number | null;
  error: string | null;
}

describe("e2e: a real Prometheus Alertmanager behind the relay", () => {
  const relay = useRelay({ label: "e2e-alertmanager" });
  let am: Alertmanager | undefined;
  const alertmanager = (): Alertmanager => {
    if (!am) throw new Error("Alertmanager did not start");
    return am;
  };

  beforeAll(async () => {
    am = await Alertmanager.start(await ensureAlertmanager());
  }, INSTALL_HOOK_TIMEOUT_MS);
  afterAll(async () => am?.stop());

  it("stores the event as a firing alert with the labels of the Provider docs", async () => {
    const name = "am-apps";
    await relay().admin(`/providers/${NAMESPACE}/${name}`, {
      method: "PUT",
      body: {
        apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
        kind: "Provider",
        metadata: { name, namespace: NAMESPACE },
        spec: { type: "alertmanager", address: `${alertmanager().url}/api/v2/alerts` },
      },
    });
    await relay().admin(`/alerts/${NAMESPACE}/${name}`, {
      method: "PUT",
      body: {
        apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
        kind: "Alert",
        metadata: { name, namespace: NAMESPACE },
        spec: { providerRef: { name }, eventSources: [{ kind: "Kustomization", name }], summary: "apps in prod-eu" },
      },
    });
    const timestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const event = { ...fluxEvent(name, name, 1, "error"), reason: "HealthCheckFailed", message: "Health check failed after 5m: timeout (e2e:am-apps:1)", timestamp };
    const sentAt = Date.now();
    expect((await relay().hook("prod-eu", event)).status).toBe(202);

    const [alert] = await waitUntil("the alert in Alertmanager", async () => {
      const found = await alertmanager().alerts(`name="${name}"`);
      return found.length > 0 ? found : undefined;
    }, 30_000);
    console.log(`[alertmanager] alert readable ${Date.now() - sentAt} ms after the 202`);

    // shared/seeds/providers.md lists alertname, severity, timestamp, reason, kind, name and
    // namespace, plus the event metadata. Flux's code sets no `timestamp` label (the event time
    // is the alert's startsAt) and adds `reportingcontroller`; the relay follows the code.
    expect(alert.labels).toEqual({
      // Go's cases.Title lower-cases all but the first letter of the reason.
      alertname: "FluxKustomizationHealthcheckfailed",
      severity: "error",
      reason: "HealthCheckFailed",
      kind: "Kustomization",
      name,
      namespace: NAMESPACE,
      reportingcontroller: "kustomize-controller",
      revision: REVISION,
      cluster: "prod-eu",
    });
    expect(alert.labels).not.toHaveProperty("timestamp");
    expect(alert.annotations).toEqual({ message: event.message, summary: "apps in prod-eu" });
    expect(alert.status.state).toBe("active");
    expect(Date.parse(alert.startsAt)).toBe(Date.parse(timestamp));
    // Go sends endsAt as the zero time, which Alertmanager replaces with now + resolve_timeout (5m).
    expect(Date.parse(alert.endsAt) - sentAt).toBeGreaterThan(4 * 60_000);

    const { items } = await relay().admin<{ items: Delivery[] }>(`/providers/${NAMESPACE}/${name}/deliveries`);
    expect(items.map((d) => [d.outcome, d.status])).toEqual([["delivered", 200]]);
  });
});
