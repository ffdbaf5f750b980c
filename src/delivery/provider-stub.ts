import type { ProviderRef } from "./provider-object";

/** The Durable Object of a Provider: `idFromName("<namespace>/<name>")`. */
export function providerStub(env: Env, ref: ProviderRef) {
  return env.PROVIDER.get(env.PROVIDER.idFromName(`${ref.namespace}/${ref.name}`));
}
