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

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now; undefined when absent/invalid. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
