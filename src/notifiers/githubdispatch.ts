import { encodeFluxEvent } from "../flux/event";
import { goJson } from "../lib/gojson";
import { classifyResponse, retryAfterMs } from "./classify";
import { goPathEscape, ownerAndRepo, parseGitAddress } from "./git/address";
import type { Classification, Notifier, NotifyContext, OutboundRequest, ProviderSettings, ResponseSnapshot } from "./types";

/**
 * `githubdispatch`: a `repository_dispatch` event through the REST API
 * (`POST /repos/<owner>/<repo>/dispatches`), which is what go-github's Repositories.Dispatch
 * sends. `event_type` is `<Kind>/<name>.<namespace>`, `client_payload` the notified event.
 */
export const githubDispatch: Notifier = {
  type: "githubdispatch",
  validate: validateGitHubDispatch,
  format: formatGitHubDispatch,
  classify: classifyGitHub,
  // GitHub allows "no more than 80 content-generating requests per minute" per account
  // (docs.github.com, REST API rate limits, secondary rate limits); a dispatch starts workflows.
  paceMs: () => 750,
};

// fluxcd/pkg/auth/githubapp's Secret key for the App ID: its presence selects App authentication.
const GITHUB_APP_ID_KEY = "githubAppID";

function validateGitHubDispatch(s: ProviderSettings): string[] {
  const problems: string[] = [];
  try {
    ownerAndRepo(parseGitAddress(s.address));
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (!token(s)) {
    problems.push(
      s.secret[GITHUB_APP_ID_KEY] !== undefined
        ? "GitHub App authentication is not supported by the relay (it needs an installation-token exchange): set the token key in the Secret to a token that can dispatch"
        : "no GitHub token: set the token key in the Secret referenced by spec.secretRef",
    );
  }
  return problems;
}

// Flux falls back to the password for GitHub-family types (GitHubClientOptions).
function token(s: ProviderSettings): string {
  return s.token || s.password;
}

function formatGitHubDispatch({ event, settings }: NotifyContext): OutboundRequest {
  const address = parseGitAddress(settings.address);
  const [owner, repo] = ownerAndRepo(address);
  const { kind, namespace, name } = event.involvedObject;
  // The payload is Flux's json.Marshal of the event (the generic webhook body) embedded as raw
  // JSON; go-github encodes with json.Encoder, hence the trailing newline.
  const clientPayload: unknown = JSON.parse(encodeFluxEvent(event));
  const body = `${goJson({ event_type: `${kind}/${name}.${namespace}`, client_payload: clientPayload })}\n`;
  return {
    method: "POST",
    url: `${apiBase(address.host, address.origin)}repos/${goPathEscape(owner)}/${goPathEscape(repo)}/dispatches`,
    headers: {
      Authorization: `Bearer ${token(settings)}`,
      Accept: "application/vnd.github.v3+json",
      "X-GitHub-Api-Version": "2022-11-28",
      "Content-Type": "application/json",
      // GitHub refuses API requests without a User-Agent, and Workers fetch sets none.
      "User-Agent": "flux-relay",
    },
    body,
  };
}

/** go-github's base URL: api.github.com for github.com, else WithEnterpriseURLs' `/api/v3/`. */
function apiBase(host: string, origin: string): string {
  if (host === "github.com") return "https://api.github.com/";
  if (host.startsWith("api.") || host.includes(".api.")) return `${origin}/`;
  return `${origin}/api/v3/`;
}

/**
 * GitHub signals rate limits with 403 as well as 429: `x-ratelimit-remaining: 0` means wait until
 * `x-ratelimit-reset` (epoch seconds), a `retry-after` is the wait, and a secondary-limit message
 * without either means "wait at least one minute" (docs.github.com, REST API rate limits).
 */
export function classifyGitHub(res: ResponseSnapshot, now = Date.now()): Classification | undefined {
  if (res.status !== 403 && res.status !== 429) return undefined;
  const base = classifyResponse(res);
  if (base.outcome === "delivered") return undefined;
  const reason = `rate limited by GitHub: ${base.reason}`;
  const retryAfter = retryAfterMs(res.headers, now);
  if (retryAfter !== undefined) return { outcome: "retry", reason, retryAfterMs: retryAfter };
  if (res.headers.get("x-ratelimit-remaining") === "0") {
    const reset = Number(res.headers.get("x-ratelimit-reset"));
    return { outcome: "retry", reason, retryAfterMs: Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : 60_000 };
  }
  if (/secondary rate limit/i.test(res.body)) return { outcome: "retry", reason, retryAfterMs: 60_000 };
  return undefined;
}
