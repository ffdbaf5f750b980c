import { app } from "./app";

export { DedupObject } from "./delivery/dedup-object";
export { ProviderObject } from "./delivery/provider-object";

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
