import type { ConfigSnapshot } from "../config/store";
import type { FluxEvent } from "../flux/event";
import { providerFilter } from "../flux/filters";
import type { AlertManifest } from "../flux/manifests";
import { matchAlert } from "../flux/match";
import { combineMetadata } from "../flux/metadata";
import { prepareEvent } from "../ingress/route";
import { redact } from "../lib/redact";
import { resolveProvider } from "../notifiers/factory";
import { notifierFor } from "../notifiers/registry";
import { FormatError, isSkip, type RenderedText } from "../notifiers/types";
import { selectsCluster } from "./clusters";
import { withTemplates } from "./message-template";
import { decideNotice, noisePolicy, TRANSITION_KEY } from "./noise";
import { matchingSilence } from "./silences";

/**
 * What an Alert would send for an event, computed with the delivery path's own functions (Flux's
 * metadata pipeline, matching, provider filter, noise decision, templates, the notifier's format)
 * and without sending anything. Secrets are redacted from the URL, headers and body.
 */

export interface PreviewRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface NoisePreview {
  deliver: boolean;
  /** `delivered` or the history outcome the event would get instead. */
  outcome: "delivered" | "suppressed" | "silenced";
  reason: string;
  transition?: string;
}

export interface EventPreview {
  /** The event as the provider would receive it (metadata combined for this Alert). */
  event: FluxEvent;
  /** Whether the Alert selects the event (cluster selection, sources, severity, inclusion and exclusion lists). */
  matched: boolean;
  noise: NoisePreview;
  /** The Alert's rendered templates, or the error that makes delivery fall back to Flux's message. */
  template?: { rendered?: RenderedText; error?: string };
  /** The request the provider would send; absent when nothing would be sent (see `skipped` / `error`). */
  request?: PreviewRequest;
  skipped?: string;
  error?: string;
}

export interface AlertPreview {
  alert: { namespace: string; name: string };
  /** The sending cluster the preview assumes (`?cluster=`), null when none was given. */
  cluster: string | null;
  provider: { namespace: string; name: string; type: string | null };
  previews: EventPreview[];
}

/** Header names whose values are credentials whatever their content. */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|x-api-key|dd-api-key|api-key|private-token)$/i;
const REDACTED = "[redacted]";

/** Sample events per severity for an Alert, built from its first event source. */
export function sampleEvents(alert: AlertManifest, now: number): FluxEvent[] {
  const source = alert.spec.eventSources[0];
  const kind = source?.kind ?? "Kustomization";
  const name = !source || source.name === "*" ? "example" : source.name;
  const namespace = source?.namespace && source.namespace !== "*" ? source.namespace : alert.metadata.namespace;
  const timestamp = new Date(Math.floor(now / 1000) * 1000).toISOString().replace(".000Z", "Z");
  const base = {
    involvedObject: { kind, namespace, name, uid: "00000000-0000-0000-0000-000000000000", apiVersion: apiVersionOf(kind), resourceVersion: "", fieldPath: "" },
    timestamp,
    metadata: { revision: "main@sha1:0123456789abcdef0123456789abcdef01234567" },
    reportingController: controllerOf(kind),
    reportingInstance: `${controllerOf(kind)}-0`,
  };
  return [
    { ...base, severity: "info", reason: "ReconciliationSucceeded", message: "Applied revision: main@sha1:0123456789abcdef0123456789abcdef01234567" },
    { ...base, severity: "error", reason: "ReconciliationFailed", message: "Deployment/default/app dry-run failed: spec.replicas: Invalid value: -1" },
  ];
}

const KIND_GROUPS: Record<string, [string, string]> = {
  Kustomization: ["kustomize.toolkit.fluxcd.io/v1", "kustomize-controller"],
  HelmRelease: ["helm.toolkit.fluxcd.io/v2", "helm-controller"],
  ImageUpdateAutomation: ["image.toolkit.fluxcd.io/v1beta2", "image-automation-controller"],
  ImagePolicy: ["image.toolkit.fluxcd.io/v1beta2", "image-reflector-controller"],
  ImageRepository: ["image.toolkit.fluxcd.io/v1beta2", "image-reflector-controller"],
};

function apiVersionOf(kind: string): string {
  return KIND_GROUPS[kind]?.[0] ?? "source.toolkit.fluxcd.io/v1";
}

function controllerOf(kind: string): string {
  return KIND_GROUPS[kind]?.[1] ?? "source-controller";
}

/**
 * Noise control's decision for the event, read-only. The object's stored state lives in the
 * cluster's intake object, so the preview decides as for an object with no history.
 */
export function previewNoise(alert: AlertManifest, cluster: string | undefined, event: FluxEvent, config: ConfigSnapshot, now: number): NoisePreview {
  const { policy } = noisePolicy(alert.metadata.annotations);
  const silence = matchingSilence(config.silences, cluster ?? "", event, now);
  if (!policy.enabled) {
    if (silence) return { deliver: false, outcome: "silenced", reason: `silence ${silence.id}: ${silence.comment}` };
    return { deliver: true, outcome: "delivered", reason: "noise control is not enabled on this Alert: every event is delivered, as in Flux" };
  }
  const { verdict } = decideNotice({ policy, previous: undefined, severity: event.severity, now, silence });
  if (!verdict.deliver) return { deliver: false, outcome: verdict.outcome, reason: verdict.reason };
  const assumed = "decided for an object with no previous state (the stored state lives in the cluster's intake)";
  return { deliver: true, outcome: "delivered", reason: verdict.transition ? `delivered as ${verdict.transition}; ${assumed}` : `delivered; ${assumed}`, transition: verdict.transition };
}

/** Previews each event for the Alert; `received` are events as a cluster posts them. */
export async function previewAlert(env: object, config: ConfigSnapshot, alert: AlertManifest, cluster: string | undefined, received: FluxEvent[], now: number): Promise<AlertPreview> {
  const ref = { namespace: alert.metadata.namespace, name: alert.spec.providerRef.name };
  const manifest = config.providers.get(`${ref.namespace}/${ref.name}`);
  const resolved = manifest ? resolveProvider(manifest, env) : undefined;
  const previews: EventPreview[] = [];
  for (const raw of received) {
    const { event, shape } = await prepareEvent(raw);
    const matched = (cluster === undefined || selectsCluster(alert, cluster)) && matchAlert(event, alert).matched;
    const combined = combineMetadata(event, alert, cluster, shape).event;
    const noise = previewNoise(alert, cluster, combined, config, now);
    const delivered = noise.transition ? { ...combined, metadata: { ...combined.metadata, [TRANSITION_KEY]: noise.transition } } : combined;
    const preview: EventPreview = { event: delivered, matched, noise };
    previews.push(preview);
    if (!manifest || !resolved) {
      preview.error = `provider ${ref.namespace}/${ref.name} not found`;
      continue;
    }
    const filter = providerFilter(event, manifest.spec.type, shape);
    if (!filter.pass) preview.skipped = filter.reason;
    const notifier = notifierFor(manifest.spec.type);
    if (!notifier || !resolved.settings) {
      preview.error = resolved.problems.map((p) => `${p.reason}: ${p.message}`).join("; ") || `provider type ${manifest.spec.type} is not supported`;
      continue;
    }
    const { ctx, templateError } = withTemplates({ event: delivered, settings: resolved.settings, alert, cluster, now });
    if (templateError || ctx.rendered) preview.template = { rendered: ctx.rendered, error: templateError };
    try {
      const result = await notifier.format(ctx);
      if (isSkip(result)) preview.skipped = result.skip;
      else preview.request = redactRequest(result, resolved.secrets);
    } catch (err) {
      preview.error = redact(err instanceof FormatError ? err.message : `formatter failed: ${String(err)}`, resolved.secrets);
    }
  }
  return { alert: { namespace: alert.metadata.namespace, name: alert.metadata.name }, cluster: cluster ?? null, provider: { ...ref, type: manifest?.spec.type ?? null }, previews };
}

function redactRequest(req: PreviewRequest, secrets: string[]): PreviewRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = CREDENTIAL_HEADER.test(name) ? REDACTED : redact(value, secrets);
  return { method: req.method, url: redact(req.url, secrets), headers, body: redact(req.body, secrets) };
}
