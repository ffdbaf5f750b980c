// Fixtures of spec section 10 (Provider P, Alert A, Event E), shared by the flux.*.test.ts files.
import { parseFluxEvent, type FluxEvent } from "../../src/flux/event";
import { parseManifest, type AlertManifest } from "../../src/flux/manifests";

export const SHA = "0123456789abcdef0123456789abcdef01234567";
export const REV = `main@sha1:${SHA}`;
export const KS_GROUP = "kustomize.toolkit.fluxcd.io";

/** Event E, decoded by the real parser, with `change` merged in (metadata merged key by key). */
export function eventE(change: Record<string, unknown> = {}): FluxEvent {
  const { metadata, involvedObject, ...rest } = change as { metadata?: Record<string, string>; involvedObject?: Record<string, string> };
  return parseFluxEvent(
    JSON.stringify({
      involvedObject: {
        apiVersion: `${KS_GROUP}/v1`,
        kind: "Kustomization",
        name: "apps",
        namespace: "flux-system",
        ...involvedObject,
      },
      severity: "info",
      timestamp: "2026-01-15T10:20:30Z",
      reason: "ReconciliationSucceeded",
      message: `Applied revision: ${REV}`,
      metadata: { [`${KS_GROUP}/revision`]: REV, ...metadata },
      reportingController: "kustomize-controller",
      ...rest,
    }),
  );
}

/** A forwarded-shaped event: what a notification-controller's generic provider posts for E. */
export function forwardedE(metadata: Record<string, string> = { revision: REV }): FluxEvent {
  return { ...eventE(), metadata };
}

/** Alert A, loaded through the real manifest parser so CRD defaults apply, with `spec` merged in. */
export function alertA(spec: Record<string, unknown> = {}, name = "A"): AlertManifest {
  return parseManifest(
    "Alert",
    {
      apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
      kind: "Alert",
      metadata: { name: name.toLowerCase(), namespace: "flux-system" },
      spec: { providerRef: { name: "p" }, eventSources: [{ kind: "Kustomization", name: "*" }], ...spec },
    },
  );
}
