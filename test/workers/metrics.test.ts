import { env, exports } from "cloudflare:workers";
import parsePrometheusTextFormat, { type ParsedFamily } from "parse-prometheus-text-format";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, admin, captureBox, fixtureEvent, putAlert, putProvider, sendSigned } from "../support/workers";

async function scrape(): Promise<{ text: string; families: ParsedFamily[] }> {
  const res = await exports.default.fetch("http://relay/metrics", { headers: ADMIN });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await res.text();
  return { text, families: parsePrometheusTextFormat(text) };
}

/** The value of the sample with exactly these labels (0 when absent, as Prometheus would treat a missing series in a sum). */
function sample(families: ParsedFamily[], name: string, labels: Record<string, string>): number {
  const family = families.find((f) => f.name === name);
  if (!family) throw new Error(`no metric family ${name}`);
  const m = family.metrics.find((s) => JSON.stringify(s.labels ?? {}) === JSON.stringify(labels));
  return m ? Number(m.value) : 0;
}

async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("GET /metrics", () => {
  const ok = captureBox();
  const flaky = captureBox();
  const broken = captureBox();
  const down = captureBox();

  beforeAll(async () => {
    await flaky.program([{ status: 500, times: 1 }, { status: 200 }]);
    await broken.program([{ status: 400, body: "bad" }]);
    await down.program([{ status: 503 }]);
    for (const [name, box] of [["ok", ok], ["flaky", flaky], ["broken", broken], ["down", down]] as const) {
      await putProvider(name, { type: "generic", address: box.url });
      await putAlert(name, { providerRef: { name }, eventSources: [{ kind: "Kustomization", name }] });
    }
  });

  it("exposes every family with its type before any traffic", async () => {
    const { families } = await scrape();
    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(types).toEqual({
      flux_relay_events_received_total: "COUNTER",
      flux_relay_deliveries_enqueued_total: "COUNTER",
      flux_relay_deliveries_total: "COUNTER",
      flux_relay_delivery_retries_total: "COUNTER",
      flux_relay_delivery_duration_seconds: "HISTOGRAM",
      flux_relay_events_suppressed_total: "COUNTER",
      flux_relay_events_silenced_total: "COUNTER",
      flux_relay_queue_depth: "GAUGE",
      flux_relay_queue_oldest_age_seconds: "GAUGE",
      flux_relay_dead_letters: "GAUGE",
      flux_relay_provider_ready: "GAUGE",
      flux_relay_provider_suspended: "GAUGE",
      flux_relay_config_invalid_manifests: "GAUGE",
      flux_relay_metrics_provider_errors: "GAUGE",
    });
    expect(sample(families, "flux_relay_provider_ready", { provider: "flux-system/ok", type: "generic" })).toBe(1);
  });

  it("counts ingress requests by cluster and result, summed over the dedup shards", async () => {
    const before = (await scrape()).families;
    const event = (name: string, n: number) => fixtureEvent({ involvedObject: { kind: "Kustomization", name, namespace: "flux-system" }, message: `metrics ${name} ${n}` });
    expect((await sendSigned(event("ok", 1), { cluster: "prod-eu" })).status).toBe(202);
    expect((await sendSigned(event("ok", 2), { cluster: "prod-eu" })).status).toBe(202);
    expect(await (await sendSigned(event("ok", 2), { cluster: "prod-eu" })).json()).toEqual({ accepted: 0, duplicate: true });
    expect(await (await sendSigned(event("nobody", 1), { cluster: "staging" })).json()).toEqual({ accepted: 0, duplicate: false });
    expect((await sendSigned(event("ok", 3), { cluster: "prod-eu", key: "wrong-key" })).status).toBe(401);
    expect((await sendSigned("{not json", { cluster: "staging" })).status).toBe(400);
    const delta = (families: ParsedFamily[], cluster: string, result: string) =>
      sample(families, "flux_relay_events_received_total", { cluster, result }) - sample(before, "flux_relay_events_received_total", { cluster, result });
    await eventually(async () => {
      const { families } = await scrape();
      expect({
        accepted: delta(families, "prod-eu", "accepted"),
        duplicate: delta(families, "prod-eu", "duplicate"),
        unmatched: delta(families, "staging", "unmatched"),
        invalid: delta(families, "staging", "invalid"),
        // The cluster name is only trusted (and used as a label) once the signature checked out.
        unauthorized: delta(families, "", "unauthorized"),
      }).toEqual({ accepted: 2, duplicate: 1, unmatched: 1, invalid: 1, unauthorized: 1 });
    });
  });

  it("counts deliveries, retries, dead letters, queue depth and attempt latency per provider", async () => {
    for (const name of ["ok", "flaky", "broken", "down"]) {
      const event = fixtureEvent({ involvedObject: { kind: "Kustomization", name, namespace: "flux-system" }, message: `deliveries ${name}` });
      expect((await sendSigned(event, { cluster: "prod-us" })).status).toBe(202);
    }
    await ok.waitFor(1);
    await flaky.waitFor(2);
    await broken.waitFor(1);
    await down.waitFor(2);
    const labels = (name: string) => ({ provider: `flux-system/${name}`, type: "generic" });
    await eventually(async () => {
      const { text, families } = await scrape();
      const delivered = (name: string) => sample(families, "flux_relay_deliveries_total", { ...labels(name), cluster: "prod-us", result: "delivered" });
      expect(delivered("flaky")).toBe(1);
      expect(sample(families, "flux_relay_delivery_retries_total", { ...labels("flaky"), cluster: "prod-us" })).toBe(1);
      expect(sample(families, "flux_relay_deliveries_total", { ...labels("broken"), cluster: "prod-us", result: "dead-lettered" })).toBe(1);
      expect(sample(families, "flux_relay_dead_letters", labels("broken"))).toBe(1);
      expect(sample(families, "flux_relay_queue_depth", labels("down"))).toBe(1);
      expect(sample(families, "flux_relay_queue_depth", labels("flaky"))).toBe(0);
      expect(sample(families, "flux_relay_queue_oldest_age_seconds", labels("down"))).toBeGreaterThan(0);
      expect(sample(families, "flux_relay_delivery_retries_total", { ...labels("down"), cluster: "prod-us" })).toBeGreaterThanOrEqual(2);
      expect(sample(families, "flux_relay_provider_ready", labels("down"))).toBe(0);
      expect(sample(families, "flux_relay_deliveries_enqueued_total", labels("flaky"))).toBe(1);
      // parse-prometheus-text-format folds labelled histogram series into one, so the per-provider
      // count and +Inf bucket are read from the exposition lines it has just parsed successfully.
      expect(text).toContain('flux_relay_delivery_duration_seconds_count{provider="flux-system/flaky",type="generic"} 2\n');
      expect(text).toContain('flux_relay_delivery_duration_seconds_bucket{provider="flux-system/flaky",type="generic",le="+Inf"} 2\n');
      expect(text).toMatch(/flux_relay_delivery_duration_seconds_sum\{provider="flux-system\/flaky",type="generic"\} [0-9.e-]+\n/);
    });
    expect(sample((await scrape()).families, "flux_relay_deliveries_total", { ...labels("ok"), cluster: "prod-us", result: "delivered" })).toBeGreaterThanOrEqual(1);
  });

  it("shows suspension and invalid manifests", async () => {
    expect((await admin("/providers/flux-system/down/suspend", { method: "POST" })).status).toBe(200);
    await env.CONFIG.put("alerts/flux-system/broken-alert", "kind: Alert");
    const { families } = await scrape();
    expect(sample(families, "flux_relay_provider_suspended", { provider: "flux-system/down", type: "generic" })).toBe(1);
    expect(sample(families, "flux_relay_provider_suspended", { provider: "flux-system/ok", type: "generic" })).toBe(0);
    expect(sample(families, "flux_relay_config_invalid_manifests", { kind: "Alert" })).toBe(1);
    expect(sample(families, "flux_relay_config_invalid_manifests", { kind: "Provider" })).toBe(0);
  });
});
