// Optional tuning vars that wrangler.toml does not set (so `wrangler types` cannot see them). Not
// named env.d.ts: TypeScript would take it for the declarations of src/env.ts and skip it.
// Secrets come from .dev.vars.example through `npm run types`; SECRET__<NS>__<NAME> bindings
// are read dynamically by name (src/config/secrets.ts).
interface Env {
  RETRY_MIN_SECONDS?: string;
  RETRY_MAX_SECONDS?: string;
  MAX_MESSAGE_AGE_SECONDS?: string;
  OUTBOX_LIMIT?: string;
  CLUSTER_SILENT_MINUTES?: string;
}
