import type { FluxEvent } from "../../flux/event";

/**
 * Go's strings.ToLower: each code point on its own, so unlike String.prototype.toLowerCase there
 * is no final-sigma context and `İ` becomes plain `i` (Go's simple case mapping).
 */
export function goToLower(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s.toLowerCase();
  let out = "";
  for (const ch of s) out += ch === "\u0130" ? "i" : ch.toLowerCase();
  return out;
}

// Word-break classes of golang.org/x/text/cases' title caser (an approximation of UAX #29 that
// the package itself documents): letters, digits, connectors and marks continue a word, the
// "Mid" punctuation continues it unless doubled, anything else ends it.
const CASED = /\p{Cased}/u;
const WORD = /[\p{L}\p{N}\p{Pc}\p{M}\p{Cf}]/u;
const MID = /[:·\u0387\u05f4\u2027\ufe13\ufe55\uff1a.'\u2018\u2019\u2024\ufe52\uff07\uff0e]/u;

/**
 * `cases.Title(language.Und).String(s)`: the first cased letter of every word upper-cased, the
 * rest lower-cased (`HealthCheckFailed` -> `Healthcheckfailed`, `foo-bar` -> `Foo-Bar`).
 */
export function goTitle(s: string): string {
  let out = "";
  let midWord = false;
  let previousMid = false;
  for (const ch of s) {
    const mid = MID.test(ch);
    if (previousMid && mid) midWord = false;
    if (CASED.test(ch)) {
      out += midWord ? ch.toLowerCase() : ch.toUpperCase();
      midWord = true;
    } else {
      out += ch;
      if (!mid && !WORD.test(ch)) midWord = false;
    }
    previousMid = mid;
  }
  return out;
}

/** The Go zero time as RFC 3339, what Flux formats when an event carries no timestamp. */
export const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

/** The event time as Go's `Timestamp.Format(time.RFC3339)` writes it (UTC, the controller's zone). */
export function eventTimeRFC3339(event: FluxEvent): string {
  return event.timestamp ?? GO_ZERO_TIME;
}

/** The event time as Go's `Timestamp.Unix()`: whole seconds, floored, zero time when absent. */
export function eventUnixSeconds(event: FluxEvent): number {
  return Math.floor(Date.parse(eventTimeRFC3339(event)) / 1000);
}

/**
 * Go's url.QueryEscape: unreserved bytes (`A-Z a-z 0-9 - _ . ~`) stay, a space becomes `+`, every
 * other byte of the UTF-8 form is `%XX` with upper-case hex. URLSearchParams differs on `*` and `~`.
 */
export function goQueryEscape(value: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(value)) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (ch === " ") out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * Go's `url.ParseQuery` as `URL.Query()` uses it: pairs split on `&`, a pair holding `;` or a
 * malformed escape dropped, `+` read as a space. Values keep their order per key.
 */
export function goParseQuery(rawQuery: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const pair of rawQuery.split("&")) {
    if (!pair || pair.includes(";")) continue;
    const eq = pair.indexOf("=");
    const [rawKey, rawValue] = eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)];
    try {
      const key = decodeURIComponent(rawKey.replace(/\+/g, " "));
      const value = decodeURIComponent(rawValue.replace(/\+/g, " "));
      values.set(key, [...(values.get(key) ?? []), value]);
    } catch {
      continue;
    }
  }
  return values;
}

/** Go's `url.Values.Encode`: keys sorted bytewise, each value `key=value` with QueryEscape, joined by `&`. */
export function goEncodeQuery(values: Map<string, string[]>): string {
  return [...values.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap((key) => values.get(key)!.map((value) => `${goQueryEscape(key)}=${goQueryEscape(value)}`))
    .join("&");
}
