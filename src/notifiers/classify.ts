import type { Classification, ResponseSnapshot } from "./types";

/**
 * The single retry classifier (Alertmanager's notify/util.go shape): 2xx delivered; 408, 429 and
 * 5xx (but 501) retried, honouring Retry-After; every other status is permanent. Notifiers only
 * add their own signals on top (see Notifier.classify).
 */
export function classifyResponse(res: ResponseSnapshot): Classification {
  const { status } = res;
  if (status >= 200 && status < 300) return { outcome: "delivered" };
  const reason = `HTTP ${status}${res.body ? `: ${res.body.slice(0, 200)}` : ""}`;
  if (status === 408 || status === 429 || (status >= 500 && status !== 501)) {
    return { outcome: "retry", reason, retryAfterMs: retryAfterMs(res.headers) };
  }
  return { outcome: "permanent", reason };
}

// RFC 9110 section 10.2.3: delay-seconds, or an HTTP-date in the preferred IMF-fixdate form.
const DELAY_SECONDS = /^\d{1,10}$/;
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * `Retry-After` in milliseconds from now, parsed strictly: whole seconds (at most ten digits) or
 * an IMF-fixdate (a past date is 0). Anything else, absent or garbage, is undefined and the
 * retry schedule applies. The caller clamps the result to the maximum retry delay.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (DELAY_SECONDS.test(value)) return Number(value) * 1000;
  if (!IMF_FIXDATE.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}
