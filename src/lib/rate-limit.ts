import { TooManyRequestsError } from "./errors";

/** The limiters' period (wrangler.toml `simple.period`): a client told to wait this long finds a fresh window. */
const PERIOD_SECONDS = 60;

/**
 * The client's address as Cloudflare reports it. In production Cloudflare sets CF-Connecting-IP
 * itself (a client cannot choose it); `wrangler dev` passes a client's own header through, which
 * lets tests act as several clients. Requests without it share one key.
 */
export function clientIp(headers: Headers): string {
  return headers.get("cf-connecting-ip")?.trim() || "unknown";
}

/**
 * Counts one request of this client against a Workers Rate Limiting binding (`[[ratelimits]]` in
 * wrangler.toml) and throws 429 with Retry-After once the client is over its limit.
 * https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/
 */
export async function enforceRateLimit(limiter: RateLimit, headers: Headers, what: string): Promise<void> {
  const { success } = await limiter.limit({ key: clientIp(headers) });
  if (!success) throw new TooManyRequestsError(`too many ${what} from this address: try again in a minute`, PERIOD_SECONDS);
}
