import { FormatError } from "../types";

/**
 * One problem a notifier finds in its settings. `InvalidURL` marks the address as the culprit
 * (Flux's Stalled reason); everything else is `ValidationFailed`.
 */
export interface SettingsProblem {
  reason: "InvalidURL" | "ValidationFailed";
  message: string;
}

/** A FormatError about the address (missing, not a URL, a malformed connection string or DSN). */
export class AddressError extends FormatError {
  override name = "AddressError";
}

/** A problem with the address: the provider's `InvalidURL` condition. */
export function invalidUrl(message: string): SettingsProblem {
  return { reason: "InvalidURL", message };
}

/** Validation helper: the address must be an absolute http(s) URL. */
export function httpUrlProblem(address: string, field = "address"): SettingsProblem | undefined {
  if (!address) return invalidUrl(`no ${field}: set spec.address or the Secret's address key`);
  try {
    const url = new URL(address);
    if (url.protocol !== "http:" && url.protocol !== "https:") return invalidUrl(`invalid ${field}: scheme must be http or https`);
  } catch {
    return invalidUrl(`invalid ${field}: not an absolute URL`);
  }
  return undefined;
}

/** A validate result: the problems the checks found (a passing check gives undefined; a text is `ValidationFailed`). */
export function problems(...checks: (string | SettingsProblem | undefined)[]): SettingsProblem[] {
  return checks.filter((p) => p !== undefined).map((p) => (typeof p === "string" ? { reason: "ValidationFailed", message: p } : p));
}

/** Validation helper: the Secret must carry a token; `what` names it as the destination does. */
export function tokenProblem(token: string, what: string): string | undefined {
  return token ? undefined : `no ${what}: set the token key in the Secret referenced by spec.secretRef`;
}

/** A validate result from checks that throw a FormatError, as the formatter's own parsing does. */
export function collectProblems(...checks: (() => unknown)[]): SettingsProblem[] {
  const found: SettingsProblem[] = [];
  for (const check of checks) {
    try {
      check();
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      found.push(err instanceof AddressError ? invalidUrl(err.message) : { reason: "ValidationFailed", message: err.message });
    }
  }
  return found;
}

/** The messages of a validate result, for logs and tests. */
export function problemMessages(found: SettingsProblem[]): string[] {
  return found.map((p) => p.message);
}
