import { existsSync, readFileSync } from "node:fs";
import { resolveProvider } from "../src/notifiers/factory";
import { secretBindingName } from "../src/config/secrets";
import { parseFluxEvent } from "../src/flux/event";
import { parseManifest, type AlertManifest, type ProviderType } from "../src/flux/manifests";
import type { NotifyContext } from "../src/notifiers/types";

const VECTORS = new URL("../test/vectors/", import.meta.url);
const NOW = Date.parse("2026-01-15T10:20:31Z");

interface VectorCase {
  event: unknown;
  notifiedEvent: unknown;
  alert: Record<string, unknown>;
  provider: { type: ProviderType; name: string; namespace: string; uid: string; address: string; channel: string; username: string; secret?: Record<string, string> };
}

/** The contexts a type is measured on: its Flux vectors, resolved through the production path. */
export function formatterCases(type: ProviderType): { source: "vectors" | "synthetic"; list: NotifyContext[] } {
  const file = new URL(`${type}.json`, VECTORS);
  const cases: VectorCase[] = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : [];
  const list: NotifyContext[] = [];
  for (const v of cases) {
    if (v.provider.type !== type) continue;
    const p = v.provider;
    const env = p.secret ? { [secretBindingName(p.namespace, "bench-secret")]: JSON.stringify(p.secret) } : {};
    const manifest = parseManifest("Provider", {
      apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
      kind: "Provider",
      metadata: { name: p.name, namespace: p.namespace, uid: p.uid },
      spec: { type, address: p.address || undefined, channel: p.channel || undefined, username: p.username || undefined, ...(p.secret ? { secretRef: { name: "bench-secret" } } : {}) },
    });
    const settings = resolveProvider(manifest, env).settings;
    if (!settings) continue;
    const alert = v.alert && Object.keys(v.alert).length > 0 ? (v.alert as unknown as AlertManifest) : undefined;
    list.push({ event: parseFluxEvent(JSON.stringify(v.notifiedEvent)), settings, alert, cluster: "bench", now: NOW });
  }
  if (list.length > 0) return { source: "vectors", list };
  // A type without vectors is still measured, on a Kustomization event and a plain address.
  const manifest = parseManifest("Provider", {
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Provider",
    metadata: { name: "bench", namespace: "flux-system" },
    spec: { type, address: "https://example.com/hook", channel: "flux/deployments" },
  });
  const settings = resolveProvider(manifest, {}).settings!;
  const event = parseFluxEvent(JSON.stringify({
    involvedObject: { kind: "Kustomization", namespace: "flux-system", name: "apps", apiVersion: "kustomize.toolkit.fluxcd.io/v1" },
    severity: "info", timestamp: "2026-01-15T10:20:30Z", message: "Reconciliation finished in 1.2s, next run in 10m0s",
    reason: "ReconciliationSucceeded", metadata: { revision: "main@sha1:5394cb7f48332b2de7c17dd8b8384bbc84b7e738" }, reportingController: "kustomize-controller",
  }));
  // Some types (otel) build their request from the routing Alert, so the synthetic case has one.
  const alert = parseManifest("Alert", {
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    metadata: { name: "bench", namespace: "flux-system" },
    spec: { providerRef: { name: "bench" }, eventSources: [{ kind: "Kustomization", name: "*" }] },
  });
  return { source: "synthetic", list: [{ event, settings, alert, cluster: "bench", now: NOW }] };
}
