import { app } from "./app";

export { ClusterObject } from "./ingress/cluster-object";
export { ProviderObject } from "./delivery/provider-object";

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
