/**
 * Serialises like Go's encoding/json with default settings: compact, `<`, `>`, `&`, U+2028 and
 * U+2029 escaped. Receivers that verify an HMAC or compare bodies byte for byte (vectors'
 * `bodyRaw`) need exactly these bytes. Field order is the caller's object order, as Go uses
 * struct declaration order; maps must be built with sorted keys (see `sortedRecord`).
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, escapeChar);
}

function escapeChar(ch: string): string {
  return "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0");
}

/** A copy of a string map with its keys in Go's map-marshalling order (sorted bytewise). */
export function sortedRecord(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  // defineProperty: a `__proto__` key is data in Go and must not set the prototype here.
  for (const key of Object.keys(record).sort(compareBytes)) {
    Object.defineProperty(out, key, { value: record[key], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Bytewise (UTF-8 code unit order for BMP text) comparison, as Go's sort.Strings. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
