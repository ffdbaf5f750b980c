import { RE2JS } from "re2js";

/** A compiled inclusion/exclusion entry. */
export interface Matcher {
  pattern: string;
  re: RE2JS;
}

/** An entry Go's regexp.Compile would refuse, with RE2's error text (Go's wording). */
export interface InvalidPattern {
  pattern: string;
  error: string;
}

/** Distinct patterns kept compiled; Alerts are few, so this only bounds hostile or churning config. */
export const REGEX_CACHE_LIMIT = 1024;

// Least recently used first: a hit is re-inserted at the end, the head is evicted.
const cache = new Map<string, Matcher | InvalidPattern>();

/**
 * Compiles one entry with Go RE2 syntax and semantics (re2js is a port of the same parser), cached.
 * JS RegExp is not an option: it rejects `(?i)` and `(?P<n>)`, misreads `\z`, `\pL`,
 * `[[:alpha:]]`, `\Q...\E`, and accepts `(?=x)` and `\1`, which Go refuses.
 */
export function compile(pattern: string): Matcher | InvalidPattern {
  const cached = cache.get(pattern);
  if (cached) {
    cache.delete(pattern);
    cache.set(pattern, cached);
    return cached;
  }
  let result: Matcher | InvalidPattern;
  try {
    result = { pattern, re: RE2JS.compile(pattern) };
  } catch (err) {
    result = { pattern, error: err instanceof Error ? err.message : String(err) };
  }
  if (cache.size >= REGEX_CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, result);
  return result;
}

/** True when compile() refused the pattern. */
export function isInvalid(result: Matcher | InvalidPattern): result is InvalidPattern {
  return "error" in result;
}

/** Compiles every entry; invalid ones are set aside (Flux skips them) with their error. */
export function compileList(patterns: string[]): { matchers: Matcher[]; invalid: InvalidPattern[] } {
  const matchers: Matcher[] = [];
  const invalid: InvalidPattern[] = [];
  for (const pattern of patterns) {
    const result = compile(pattern);
    if (isInvalid(result)) invalid.push(result);
    else matchers.push(result);
  }
  return { matchers, invalid };
}

/**
 * Unanchored search, like Go's `Regexp.Match`. Go sees the message after encoding/json replaced
 * lone surrogates by U+FFFD, while JSON.parse keeps them, hence the toWellFormed.
 */
export function matches(matcher: Matcher, message: string): boolean {
  return matcher.re.test(message.toWellFormed());
}

/** True when at least one matcher finds a match anywhere in the message. */
export function matchesAny(matchers: Matcher[], message: string): boolean {
  const text = message.toWellFormed();
  return matchers.some((m) => m.re.test(text));
}
