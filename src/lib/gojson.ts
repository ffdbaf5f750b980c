/** How the Go side encodes: json.Marshal is the default; go-github and json.Encoder differ. */
export interface GoJsonOptions {
  /** False for an Encoder with SetEscapeHTML(false) (go-github): `<`, `>`, `&` stay literal. */
  escapeHtml?: boolean;
  /** The trailing newline json.Encoder.Encode writes (go-github, Bitbucket Server). */
  newline?: boolean;
}

/**
 * Serialises like Go's encoding/json: compact, U+2028 and U+2029 always escaped, `<`, `>`, `&`
 * escaped unless `escapeHtml` is false. JSON.stringify's other escapes are Go's since Go 1.22,
 * which writes `\b` and `\f` as such rather than `\u0008`/`\u000c`. Receivers that verify an
 * HMAC or compare bodies byte for byte (vectors' `bodyRaw`) need exactly these bytes. Field order
 * is the caller's object order, as Go uses struct declaration order; maps must be built with
 * sorted keys (see `sortedRecord`).
 */
export function goJson(value: unknown, { escapeHtml = true, newline = false }: GoJsonOptions = {}): string {
  const json = JSON.stringify(value).replace(escapeHtml ? /[<>&\u2028\u2029]/g : /[\u2028\u2029]/g, escapeChar);
  return newline ? `${json}\n` : json;
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
