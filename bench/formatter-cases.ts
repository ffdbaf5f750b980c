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

/** Templates a user would write (README.md, "message templates"), for the templated section. */
const TEMPLATED: { name: string; type: ProviderType; annotations: Record<string, string> }[] = [
  {
    name: "slack, message and title templates",
    type: "slack",
    annotations: {
      "flux-relay.fluxcd.io/title-template": "{{ .InvolvedObject.Kind }} {{ .InvolvedObject.Name }} on {{ .Cluster }}",
      "flux-relay.fluxcd.io/template":
        '{{ if eq .Severity "error" }}:red_circle:{{ else }}:large_green_circle:{{ end }} {{ .Message | trunc 200 }}\n{{- with .Revision }} (revision {{ . }}){{ end }}\n{{- range $k, $v := .Metadata }}\n• {{ $k }}: {{ $v }}{{ end }}',
    },
  },
  { name: "github, description template", type: "github", annotations: { "flux-relay.fluxcd.io/template": "{{ .Cluster }}: {{ .Reason }} {{ .Message | trunc 100 }}" } },
  {
    // generic rather than generic-hmac: the HMAC (WebCrypto, 70+ µs in Node) would hide the template's cost.
    name: "generic, CloudEvents body template",
    type: "generic",
    annotations: {
      "flux-relay.fluxcd.io/body-template":
        '{"specversion":"1.0","type":"io.fluxcd.{{ .Severity }}","source":"flux-relay/{{ .Cluster }}","subject":{{ toJson .InvolvedObject.Name }},"id":{{ printf "%s-%s" .Reason .Revision | toJson }},"time":"{{ date "2006-01-02T15:04:05Z07:00" .Timestamp }}","data":{"message":{{ toJson .Message }},"metadata":{{ toJson .Metadata }}}}',
    },
  },
];

/** The vector contexts of a few types, routed by an Alert carrying templates. */
export function templatedCases(): { name: string; type: ProviderType; list: NotifyContext[] }[] {
  return TEMPLATED.map(({ name, type, annotations }) => {
    const alert = parseManifest("Alert", {
      apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
      kind: "Alert",
      metadata: { name: "bench", namespace: "flux-system", annotations },
      spec: { providerRef: { name: "bench" }, eventSources: [{ kind: "Kustomization", name: "*" }] },
    });
    return { name, type, list: formatterCases(type).list.map((ctx) => ({ ...ctx, alert })) };
  });
}
