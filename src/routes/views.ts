import type { ConfigSnapshot } from "../config/store";
import { alertConditions } from "../delivery/alert-status";
import { alertDecisionTotals } from "../delivery/decision-counts";
import { providerStub } from "../delivery/provider-stub";
import type { ProviderRuntimeStatus } from "../delivery/provider-object";
import type { AlertManifest, ProviderManifest } from "../flux/manifests";
import { maskUserinfo } from "../lib/redact";
import { resolveProvider } from "../notifiers/factory";

/** A Provider as Flux would show it (`kubectl get provider -o yaml`), with the Durable Object's status. */
export type ProviderView = ProviderManifest & { status: ProviderRuntimeStatus };
export type AlertView = AlertManifest & {
  status: ReturnType<typeof alertConditions> & {
    dispatchFailures: { at: number; reason: string; message: string }[];
    /** Events of this Alert held back by noise control and silences (docs/noise-control.md). */
    noise: { suppressed: number; silenced: number };
  };
};

export async function providerView(env: Env, manifest: ProviderManifest): Promise<ProviderView> {
  const ref = { namespace: manifest.metadata.namespace, name: manifest.metadata.name };
  const status = await providerStub(env, ref).status(ref);
  const { address, proxy } = manifest.spec;
  // Credentials written into an address (`https://user:pass@host`, as Go's net/http accepts) are
  // secrets: the view shows scheme and host only.
  const spec = { ...manifest.spec, ...(address ? { address: maskUserinfo(address) } : {}), ...(proxy ? { proxy: maskUserinfo(proxy) } : {}) };
  return { ...manifest, spec, status };
}

/** An Alert with conditions derived from its own spec and its provider's state. */
export async function alertView(env: Env, alert: AlertManifest, config: ConfigSnapshot): Promise<AlertView> {
  const ref = { namespace: alert.metadata.namespace, name: alert.spec.providerRef.name };
  const provider = config.providers.get(`${ref.namespace}/${ref.name}`);
  const stub = provider ? providerStub(env, ref) : undefined;
  const name = `${alert.metadata.namespace}/${alert.metadata.name}`;
  const [providerStatus, dispatchFailures, decisions] = stub
    ? await Promise.all([stub.status(ref), stub.alertEvents(name), stub.decisionCounts()])
    : [undefined, [], []];
  const providerSettings = provider ? resolveProvider(provider, env).settings : undefined;
  const conditions = alertConditions({ alert, providerFound: !!provider, providerStatus, dispatchFailures, providerSettings });
  return { ...alert, status: { ...conditions, dispatchFailures, noise: alertDecisionTotals(decisions, name) } };
}
