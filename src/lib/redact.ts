const MASK = "*****";
/** Shorter values are not masked: they would mask ordinary words of every message. */
const MIN_SECRET = 4;
/** Shortest base64 run masked for a secret seen at an unaligned offset (3 bytes give 4 characters). */
const MIN_BASE64_CORE = 8;

/**
 * Replaces every secret in a text with `*****`, as Flux masks tokens in its errors, in the forms a
 * destination or a library may echo it back: as is, URL-encoded (path, query and form encodings),
 * JSON-escaped, and base64 (standard and URL alphabets, at any byte offset, so `Basic
 * base64(user:password)` and a token inside a longer encoded blob are masked too). Credentials in
 * the userinfo of any URL (`https://user:pass@host`) are masked whether or not they are known.
 * Longest first so overlapping values mask fully.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = maskUserinfo(text);
  for (const form of secretForms(secrets)) if (out.includes(form)) out = out.split(form).join(MASK);
  return out;
}

/** Every form of the secrets that redact() masks, longest first. */
export function secretForms(secrets: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET) continue;
    forms.add(secret);
    const json = JSON.stringify(secret).slice(1, -1);
    // JSON as PHP writes it (`\/`) and as Go writes it (`\u003c`, `\u003e`, `\u0026`).
    const jsonForms = [json, json.replace(/\//g, "\\/"), json.replace(/[<>&]/g, (ch) => `\\u00${ch.charCodeAt(0).toString(16)}`)];
    for (const encoded of [encodeURIComponent(secret), encodeURI(secret), new URLSearchParams({ v: secret }).toString().slice(2), ...jsonForms]) {
      forms.add(encoded);
      forms.add(encoded.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
    }
    for (const b64 of base64Forms(secret)) {
      forms.add(b64);
      forms.add(b64.replace(/\+/g, "-").replace(/\//g, "_"));
    }
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET).sort((a, b) => b.length - a.length);
}

/**
 * Base64 of a secret standing alone (with and without padding) and the runs of characters that
 * encode only its bytes when it starts 0, 1 or 2 bytes into a longer encoded text, as the password
 * does in `base64("user:" + password)`.
 */
function base64Forms(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const whole = toBase64(bytes);
  const forms = [whole, whole.replace(/=+$/, "")];
  for (const lead of [0, 1, 2]) {
    const shifted = new Uint8Array(lead + bytes.length);
    shifted.set(bytes, lead);
    const encoded = toBase64(shifted);
    // A group of 3 bytes that mixes the lead bytes in is not the secret's own: skip it.
    const skipBytes = lead === 0 ? 0 : 3 - lead;
    const start = lead === 0 ? 0 : 4;
    const groups = Math.floor((bytes.length - skipBytes) / 3);
    const core = encoded.slice(start, start + groups * 4);
    if (core.length >= MIN_BASE64_CORE) forms.push(core);
  }
  return forms;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** `scheme://user:pass@host` and `scheme://token@host` keep their scheme and host only. */
export function maskUserinfo(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi, `$1${MASK}@`);
}
