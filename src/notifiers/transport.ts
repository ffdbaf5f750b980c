import { readCapped } from "../lib/read-capped";
import { redact } from "../lib/redact";
import { classifyResponse } from "./classify";
import { publishNats, type SocketConnect } from "./nats-socket";
import { appJwt, forgetInstallationToken, installationToken } from "./git/github-app";
import { withUserinfoAuth } from "./kit/http-auth";
import { isSkip, type Classification, type ExchangeNotifier, type Notifier, type NotifyContext, type OutboundRequest, type ResponseSnapshot, type Send } from "./types";

const MAX_BODY_READ = 64 * 1024;

/** The result of one HTTP attempt: what happened, how long it took, and the status if any. */
export interface AttemptOutcome {
  classification: Classification;
  status?: number;
  latencyMs: number;
  /** The answer as read back, for exchanges that act on it. */
  response?: ResponseSnapshot;
}

/**
 * Sends one request with the provider's per-attempt timeout and classifies the answer with the
 * shared classifier plus the notifier's own signals. Network errors and timeouts are retryable.
 * Reasons are redacted against `secrets` so they can go to logs, status and the dashboard.
 */
export async function sendRequest(
  notifier: Notifier,
  req: OutboundRequest,
  timeoutMs: number,
  secrets: string[],
  fetcher: typeof fetch = fetch,
  connect?: SocketConnect,
): Promise<AttemptOutcome> {
  const started = Date.now();
  if (req.nats) {
    const classification = await publishNats(req.nats, req.body, Math.max(1, timeoutMs), connect);
    return { classification: redactClassification(classification, secrets), latencyMs: Date.now() - started };
  }
  if (req.gitHubApp) return sendAsGitHubApp(notifier, req, timeoutMs, secrets, fetcher);
  const userinfo = withUserinfoAuth(req);
  req = userinfo.request;
  secrets = userinfo.credentials.length > 0 ? [...secrets, ...userinfo.credentials] : secrets;
  const init: RequestInit = {
    method: req.method,
    headers: req.headers,
    body: req.method === "GET" ? undefined : req.body,
    signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
  };
  try {
    // What fetch would refuse before sending, checked without building a whole Request per attempt.
    new URL(req.url);
    new Headers(req.headers);
  } catch (err) {
    // A URL or header value fetch refuses (a newline in an event's reportingController, say) fails
    // identically on every attempt: retried, it would block the FIFO queue behind it for a day.
    return { classification: { outcome: "permanent", reason: redact(`invalid request: ${(err as Error).message}`, secrets) }, latencyMs: 0 };
  }
  try {
    const res = await fetchFollowing(req, init, secrets.length > 0, fetcher);
    if ("refused" in res) return { classification: { outcome: "permanent", reason: redact(res.refused, secrets) }, status: res.status, latencyMs: Date.now() - started };
    const snapshot: ResponseSnapshot = { status: res.status, headers: res.headers, body: await readBody(res, timeoutMs, req.readLimit ?? MAX_BODY_READ), url: req.url };
    // Classified on a redacted copy: a reason quotes up to 200 characters of the body, and a cut
    // made before redaction could leave the first half of a secret unmasked.
    const redacted = { ...snapshot, body: redact(snapshot.body, secrets) };
    const classification = notifier.classify?.(redacted) ?? classifyResponse(redacted);
    return { classification: redactClassification(classification, secrets), status: res.status, latencyMs: Date.now() - started, response: snapshot };
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === "TimeoutError" || e.name === "AbortError";
    const reason = timedOut ? `timeout: no answer within ${timeoutMs} ms (spec.timeout)` : `connection error: ${e.message}`;
    return { classification: { outcome: "retry", reason: redact(reason, secrets) }, latencyMs: Date.now() - started };
  }
}

const MAX_REDIRECTS = 5;
/** Headers that carry a credential even when the provider has no Secret (userinfo turned into Basic, say). */
const CREDENTIAL_HEADERS = ["authorization", "private-token", "dd-api-key", "x-signature", "x-api-key", "api-key"];

/**
 * Fetches with redirects handled here instead of by fetch: a request that carries a credential (a
 * provider with a Secret, or an authorization-like header) follows redirects only within its own
 * origin, so a token is never replayed to another host. Other requests follow up to
 * MAX_REDIRECTS hops like fetch would; 303 (and 301/302 after a POST) continue as GET.
 */
async function fetchFollowing(req: OutboundRequest, init: RequestInit, hasSecrets: boolean, fetcher: typeof fetch): Promise<Response | { refused: string; status: number }> {
  const credential = hasSecrets || Object.keys(req.headers).some((h) => CREDENTIAL_HEADERS.includes(h.toLowerCase()));
  let url = req.url;
  let request = { ...init, redirect: "manual" as const };
  for (let hop = 0; ; hop++) {
    const res = await fetcher(url, request);
    const location = res.headers.get("location");
    if (res.status < 300 || res.status > 399 || res.status === 304 || !location) return res;
    await res.body?.cancel();
    const next = new URL(location, url);
    if (hop >= MAX_REDIRECTS) return { refused: `HTTP ${res.status}: more than ${MAX_REDIRECTS} redirects`, status: res.status };
    if (credential && next.origin !== new URL(url).origin) {
      return { refused: `HTTP ${res.status}: redirect to another origin (${next.origin}) not followed: the request carries credentials`, status: res.status };
    }
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && request.method === "POST")) request = { ...request, method: "GET", body: undefined };
    url = next.href;
  }
}

/** At most `limit` bytes of the answer, decoded as UTF-8 (a partial character at the cut becomes U+FFFD). */
async function readBody(res: Response, timeoutMs: number, limit: number): Promise<string> {
  return new TextDecoder().decode(await readCapped(res.body, limit, { overflow: "truncate" }, timeoutMs));
}

/**
 * A GitHub API request as a GitHub App: with the App's JWT (`GET /app`), or with an installation
 * token from the cache or minted first (src/notifiers/git/github-app.ts). All of it within the
 * provider timeout. A 401 drops the cached token, so the retry mints a fresh one.
 */
async function sendAsGitHubApp(notifier: Notifier, req: OutboundRequest, timeoutMs: number, secrets: string[], fetcher: typeof fetch): Promise<AttemptOutcome> {
  const started = Date.now();
  const { gitHubApp, ...plain } = req;
  const { app, as } = gitHubApp!;
  const left = () => Math.max(1, started + timeoutMs - Date.now());
  let bearer: string;
  let cacheKey: string | undefined;
  try {
    if (as === "app") bearer = await appJwt(app, started);
    else {
      const minted = await installationToken(app, started, (step) => sendRequest(notifier, step, left(), secrets, fetcher));
      if ("outcome" in minted) return { classification: redactClassification(minted, secrets), latencyMs: Date.now() - started };
      ({ token: bearer, cacheKey } = minted);
    }
  } catch (err) {
    return { classification: { outcome: "permanent", reason: redact((err as Error).message, secrets) }, latencyMs: Date.now() - started };
  }
  const outcome = await sendRequest(notifier, { ...plain, headers: { ...plain.headers, Authorization: `Bearer ${bearer}` } }, left(), [...secrets, bearer], fetcher);
  if (cacheKey && outcome.status === 401) forgetInstallationToken(cacheKey);
  return { ...outcome, latencyMs: Date.now() - started };
}

/** How a whole exchange ended, in the terms of one delivery attempt. */
export interface ExchangeOutcome extends AttemptOutcome {
  /** Why nothing (more) was sent, when the notifier decided so. */
  skipped?: string;
  /** Whether any request went out (pacing and the latency histogram count only those). */
  sent: boolean;
}

/**
 * Runs a notifier's exchange as one attempt. Flux's per-send deadline spans every request of a
 * notifier's Post, so the provider timeout bounds the whole exchange, not each step; `status` is
 * the last answer's. A FormatError thrown by the exchange propagates, as from format.
 */
export async function runExchange(
  notifier: ExchangeNotifier,
  ctx: NotifyContext,
  timeoutMs: number,
  secrets: string[],
  fetcher: typeof fetch = fetch,
): Promise<ExchangeOutcome> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let status: number | undefined;
  let sent = false;
  const send: Send = async (req) => {
    const left = deadline - Date.now();
    if (left <= 0) return { classification: { outcome: "retry", reason: `timeout: the exchange took longer than ${timeoutMs} ms (spec.timeout)` } };
    sent = true;
    const outcome = await sendRequest(notifier, req, left, secrets, fetcher);
    status = outcome.status;
    return outcome;
  };
  const ended = await notifier.exchange(ctx, send);
  const latencyMs = Date.now() - started;
  if (isSkip(ended)) return { classification: { outcome: "delivered" }, skipped: ended.skip, status, latencyMs, sent };
  return { classification: redactClassification(ended, secrets), status, latencyMs, sent };
}

function redactClassification(c: Classification, secrets: string[]): Classification {
  return c.outcome === "delivered" ? c : { ...c, reason: redact(c.reason, secrets) };
}
