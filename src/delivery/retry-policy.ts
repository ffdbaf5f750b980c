/** Retry timing of the outbox (RETRY_MIN_SECONDS, RETRY_MAX_SECONDS, MAX_MESSAGE_AGE_SECONDS), in milliseconds. */
export interface RetryPolicy {
  minDelayMs: number;
  maxDelayMs: number;
  /** A message older than this goes to dead letters instead of being retried again. */
  maxAgeMs: number;
}

/**
 * Delay before attempt `attempts + 1`: exponential from minDelay doubling to maxDelay with ±20 %
 * jitter so a recovering destination is not hit by every provider at once. A destination's own
 * Retry-After wins over the schedule, clamped to maxDelay so no answer can park the queue for
 * longer (the caller also clamps to the message's remaining age).
 */
export function nextDelayMs(policy: RetryPolicy, attempts: number, retryAfterMs?: number, random = Math.random()): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) return Math.min(Math.max(retryAfterMs, 0), policy.maxDelayMs);
  const base = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + 0.4 * random));
}
