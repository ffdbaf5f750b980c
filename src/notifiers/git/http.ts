import { toHex } from "../../lib/crypto";
import { classifyResponse, retryAfterMs } from "../classify";
import type { Classification, ResponseSnapshot } from "../types";

// An epoch-seconds reset (GitHub X-RateLimit-Reset, GitLab RateLimit-Reset) is far above any
// plausible delta-seconds value (the IETF draft's RateLimit-Reset).
const EPOCH_THRESHOLD = 1_000_000_000;
// GitHub: "if x-ratelimit-remaining is not 0, wait at least one minute" for secondary limits.
const SECONDARY_LIMIT_WAIT_MS = 60_000;

/**
 * GitHub and GitLab rate limits. A 429, or a 403 with `Retry-After`, a zero remaining quota or a
 * "rate limit" body (GitHub's secondary limits), is retried at the time the host names:
 * `Retry-After`, else the reset header, else one minute. Other 403s stay permanent: GitHub sends
 * `X-RateLimit-Reset` on every response, including plain permission errors.
 */
export function classifyRateLimit(res: ResponseSnapshot, now = Date.now()): Classification | undefined {
  if (res.status !== 403 && res.status !== 429) return undefined;
  const headers = res.headers;
  const after = retryAfterMs(headers, now);
  const remaining = (headers.get("x-ratelimit-remaining") ?? headers.get("ratelimit-remaining"))?.trim();
  const exhausted = remaining === "0";
  if (res.status === 403 && after === undefined && !exhausted && !/rate limit/i.test(res.body)) return undefined;
  const reset = resetMs(headers.get("x-ratelimit-reset") ?? headers.get("ratelimit-reset"), now);
  const base = classifyResponse(res);
  const reason = `rate limited: ${base.outcome === "delivered" ? `HTTP ${res.status}` : base.reason}`;
  const wait = after ?? (exhausted || res.status === 429 ? reset : undefined) ?? SECONDARY_LIMIT_WAIT_MS;
  return { outcome: "retry", reason, retryAfterMs: wait };
}

function resetMs(value: string | null, now: number): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed || !/^\d+$/.test(trimmed)) return undefined;
  const seconds = Number(trimmed);
  return seconds >= EPOCH_THRESHOLD ? Math.max(0, seconds * 1000 - now) : seconds * 1000;
}

/** Lower-case hex SHA-1 of the UTF-8 text: Bitbucket status keys (Flux's sha1String), Matrix transaction ids. */
export async function sha1Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text))));
}
