/** Retry timing of the outbox (RETRY_MIN_SECONDS, RETRY_MAX_SECONDS, MAX_MESSAGE_AGE_SECONDS), in milliseconds. */
export interface RetryPolicy {
  minDelayMs: number;
  maxDelayMs: number;
  /** A message older than this goes to dead letters instead of being retried again. */
  maxAgeMs: number;
}

export function retryPolicy(env: Partial<Record<string, unknown>>): RetryPolicy {
  const seconds = (name: string, fallback: number) => {
    const n = Number(env[name]);
    return (Number.isFinite(n) && n > 0 ? n : fallback) * 1000;
  };
  return {
    minDelayMs: seconds("RETRY_MIN_SECONDS", 2),
    maxDelayMs: seconds("RETRY_MAX_SECONDS", 600),
    maxAgeMs: seconds("MAX_MESSAGE_AGE_SECONDS", 86_400),
  };
}

/**
 * Delay before attempt `attempts + 1`: exponential from minDelay doubling to maxDelay with ±20 %
 * jitter so a recovering destination is not hit by every provider at once. A destination's own
 * Retry-After wins over the schedule (never earlier than it asked).
 */
export function nextDelayMs(policy: RetryPolicy, attempts: number, retryAfterMs?: number, random = Math.random()): number {
  if (retryAfterMs !== undefined) return Math.max(retryAfterMs, 0);
  const base = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + 0.4 * random));
}
