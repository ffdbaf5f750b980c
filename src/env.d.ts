// Secrets are not in wrangler.toml, so `wrangler types` cannot see them: declared here.
// SECRET__<NS>__<NAME> bindings are read dynamically by name (src/config/secrets.ts).
interface Env {
  /** One key, or JSON {"<cluster>": "key" | ["key", "next-key"], "*": ...}. */
  INGRESS_KEYS?: string;
  /** Bearer token of /api/*, /metrics and the status page. */
  ADMIN_TOKEN?: string;
  RETRY_MIN_SECONDS?: string;
  RETRY_MAX_SECONDS?: string;
  MAX_MESSAGE_AGE_SECONDS?: string;
}
