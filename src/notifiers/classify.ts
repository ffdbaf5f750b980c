import { FormatError, type Classification, type ResponseSnapshot } from "./types";

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

/** Validation helper: the address must be an absolute http(s) URL. */
export function httpUrlProblem(address: string, field = "address"): string | undefined {
  if (!address) return `no ${field}: set spec.address or the Secret's address key`;
  try {
    const url = new URL(address);
    if (url.protocol !== "http:" && url.protocol !== "https:") return `invalid ${field}: scheme must be http or https`;
  } catch {
    return `invalid ${field}: not an absolute URL`;
  }
  return undefined;
}

/** A validate result: the problems the checks found (a passing check gives undefined). */
export function problems(...checks: (string | undefined)[]): string[] {
  return checks.filter((p) => p !== undefined);
}

/** Validation helper: the Secret must carry a token; `what` names it as the destination does. */
export function tokenProblem(token: string, what: string): string | undefined {
  return token ? undefined : `no ${what}: set the token key in the Secret referenced by spec.secretRef`;
}

/** A validate result from checks that throw a FormatError, as the formatter's own parsing does. */
export function collectProblems(...checks: (() => unknown)[]): string[] {
  const found: string[] = [];
  for (const check of checks) {
    try {
      check();
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      found.push(err.message);
    }
  }
  return found;
}
