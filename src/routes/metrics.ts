import { Hono } from "hono";
import { loadConfig } from "../config/store";
import { providerStub } from "../delivery/provider-stub";
import { clusterCounts } from "./clusters";
import type { DecisionCount } from "../delivery/decision-counts";
import type { LatencyHistogram } from "../delivery/metrics-store";
import type { ClusterOutcome } from "../delivery/outbox-store";
import type { ProviderRuntimeStatus } from "../delivery/provider-object";
import { requireRead } from "../lib/admin-auth";
import { log } from "../lib/log";
import { renderMetrics, type Family, type Labels, type Sample } from "../lib/prometheus";

export const metrics = new Hono<{ Bindings: Env }>();

metrics.use("*", requireRead);

interface ProviderMetrics {
  labels: Labels;
  specSuspended: boolean;
  status: ProviderRuntimeStatus;
  latency: LatencyHistogram;
  decisions: DecisionCount[];
  outcomes: ClusterOutcome[];
}

/**
 * `GET /metrics` (READ_TOKEN or ADMIN_TOKEN): Prometheus text format. Workers share no memory, so
 * every number is read from the Durable Objects that own it (one object per cluster for the
 * ingress, one per provider for deliveries) and summed here. Requests refused before any storage (401, 413, a 400
 * before authentication) are this isolate's own counts (src/ingress/rejections.ts).
 */
metrics.get("/", async (c) => {
  const now = Date.now();
  const config = await loadConfig(c.env);
  const [ingress, settled] = await Promise.all([
    clusterCounts(c.env),
    Promise.allSettled([...config.providers.values()].map(async (p): Promise<ProviderMetrics> => {
      const ref = { namespace: p.metadata.namespace, name: p.metadata.name };
      const { status, latency, decisions, outcomes } = await providerStub(c.env, ref).metrics(ref);
      return { labels: { provider: `${ref.namespace}/${ref.name}`, type: p.spec.type }, specSuspended: p.spec.suspend, status, latency, decisions, outcomes };
    })),
  ]);
  const providers: ProviderMetrics[] = [];
  let failures = 0;
  for (const s of settled) {
    if (s.status === "fulfilled") providers.push(s.value);
    else {
      failures++;
      log("warn", "metrics: a provider object did not answer", { error: String(s.reason) });
    }
  }
  const per = (value: (p: ProviderMetrics) => number, extra: Labels = {}): Sample[] => providers.map((p) => ({ labels: { ...p.labels, ...extra }, value: value(p) }));
  const families: Family[] = [
    {
      name: "flux_relay_events_received_total",
      help: "Hook requests by sending cluster (empty before authentication) and result; refused requests (unauthorized, too_large, unavailable, invalid before authentication) as counted by the isolate that answered the scrape.",
      type: "counter",
      samples: ingress.map((r) => ({ labels: { cluster: r.cluster, result: r.result }, value: r.count })),
    },
    {
      name: "flux_relay_deliveries_enqueued_total",
      help: "Deliveries stored in a provider's outbox.",
      type: "counter",
      samples: per((p) => p.status.counters.received),
    },
    {
      name: "flux_relay_deliveries_total",
      help: "Deliveries that left the outbox or were never queued, by result (docs/operations.md, outcome vocabulary): delivered, skipped (nothing to send), dead-lettered, dropped (provider suspended), suppressed (noise control), silenced, refused (outbox full).",
      type: "counter",
      samples: perCluster(providers, ["delivered", "skipped", "dead-lettered", "dropped", "suppressed", "silenced", "refused"]),
    },
    {
      name: "flux_relay_delivery_retries_total",
      help: "Failed delivery attempts that were scheduled for another try, by provider and sending cluster.",
      type: "counter",
      samples: perCluster(providers, ["retried"], false),
    },
    {
      name: "flux_relay_delivery_duration_seconds",
      help: "Duration of delivery attempts that reached the network.",
      type: "histogram",
      histograms: providers.map((p) => ({ labels: p.labels, bounds: p.latency.bounds, counts: p.latency.counts, sum: p.latency.sumSeconds })),
    },
    {
      name: "flux_relay_events_suppressed_total",
      help: "Events noise control held back (docs/noise-control.md), by provider, sending cluster, Alert and the rule that decided (notify: changes, repeat-interval 1h, threshold 3/10m).",
      type: "counter",
      samples: decisionSamples(providers, "suppressed"),
    },
    {
      name: "flux_relay_events_silenced_total",
      help: "Events an active silence held back, by provider, sending cluster and Alert.",
      type: "counter",
      samples: decisionSamples(providers, "silenced"),
    },
    { name: "flux_relay_queue_depth", help: "Deliveries waiting in the provider's outbox.", type: "gauge", samples: per((p) => p.status.queueDepth) },
    {
      name: "flux_relay_queue_oldest_age_seconds",
      help: "Age of the oldest queued delivery (0 when the outbox is empty).",
      type: "gauge",
      samples: per((p) => (p.status.oldestQueuedAt === null ? 0 : Math.max(0, (now - p.status.oldestQueuedAt) / 1000))),
    },
    { name: "flux_relay_dead_letters", help: "Dead letters kept for the provider (replayable).", type: "gauge", samples: per((p) => p.status.deadLetters) },
    {
      name: "flux_relay_provider_ready",
      help: "1 when the provider's Ready condition is True.",
      type: "gauge",
      samples: per((p) => (p.status.conditions.some((c) => c.type === "Ready" && c.status === "True") ? 1 : 0)),
    },
    {
      name: "flux_relay_provider_suspended",
      help: "1 when the provider is suspended (spec.suspend or the admin API).",
      type: "gauge",
      samples: per((p) => (p.specSuspended || p.status.suspended ? 1 : 0)),
    },
    {
      name: "flux_relay_config_invalid_manifests",
      help: "Manifests in KV that fail validation and are ignored.",
      type: "gauge",
      samples: (["Provider", "Alert"] as const).map((kind) => ({ labels: { kind }, value: config.invalid.filter((i) => i.kind === kind).length })),
    },
    { name: "flux_relay_metrics_provider_errors", help: "Provider objects that did not answer this scrape.", type: "gauge", samples: [{ labels: {}, value: failures }] },
  ];
  return c.body(renderMetrics(families), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" });
});

/** Per provider and sending cluster, from the history outcomes each ProviderObject counts (test sends excluded). */
function perCluster(providers: ProviderMetrics[], results: ClusterOutcome["outcome"][], resultLabel = true): Sample[] {
  return providers.flatMap((p) => p.outcomes.filter((o) => results.includes(o.outcome)).map((o) => ({
    labels: { ...p.labels, cluster: o.cluster, ...(resultLabel ? { result: o.outcome } : {}) },
    value: o.count,
  })));
}

function decisionSamples(providers: ProviderMetrics[], outcome: DecisionCount["outcome"]): Sample[] {
  return providers.flatMap((p) => p.decisions.filter((d) => d.outcome === outcome).map((d) => ({
    labels: { provider: p.labels.provider, cluster: d.cluster, alert: d.alert, ...(outcome === "suppressed" ? { reason: d.reason } : {}) },
    value: d.count,
  })));
}
