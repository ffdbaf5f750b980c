import type { FluxEvent } from "../flux/event";

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

const LOWER = /\p{Ll}/u;
const UPPER = /\p{Lu}/u;
const DIGIT = /\p{Nd}/u;

/**
 * Flux's splitCamelcase: runs of lower-case, upper-case, digit and other code points, with the
 * last capital of an upper-case run moved to a following lower-case run (`PDFLoader` -> `PDF`,
 * `Loader`).
 */
export function splitCamelcase(src: string): string[] {
  const runs: string[][] = [];
  let lastClass = 0;
  for (const ch of src) {
    const cls = LOWER.test(ch) ? 1 : UPPER.test(ch) ? 2 : DIGIT.test(ch) ? 3 : 4;
    if (cls === lastClass) runs[runs.length - 1].push(ch);
    else runs.push([ch]);
    lastClass = cls;
  }
  for (let i = 0; i < runs.length - 1; i++) {
    if (UPPER.test(runs[i][0]) && LOWER.test(runs[i + 1][0])) runs[i + 1].unshift(runs[i].pop() as string);
  }
  return runs.filter((r) => r.length > 0).map((r) => r.join(""));
}

/**
 * Flux's formatNameAndDescription (providers-wire.md 1.9): `kustomization/apps` and the reason
 * split at camel-case boundaries, lower-cased (`health check failed`).
 */
export function nameAndDescription(event: FluxEvent): { name: string; description: string } {
  const { kind, name } = event.involvedObject;
  return { name: goToLower(`${kind}/${name}`), description: goToLower(splitCamelcase(event.reason).join(" ")) };
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
