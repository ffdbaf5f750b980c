import type { ProviderType } from "../flux/manifests";
import { generic } from "./generic";
import { genericHmac } from "./generic-hmac";
import type { Notifier } from "./types";

/** Every implemented Provider type, keyed by `spec.type`. */
const notifiers: Notifier[] = [generic, genericHmac];

const registry = new Map<ProviderType, Notifier>(notifiers.map((n) => [n.type, n]));

/** The notifier for a type, or undefined when the relay does not implement it (yet). */
export function notifierFor(type: ProviderType): Notifier | undefined {
  return registry.get(type);
}

export function implementedTypes(): ProviderType[] {
  return [...registry.keys()];
}
