const encoder = new TextEncoder();

export type HmacAlgorithm = "SHA-256" | "SHA-384" | "SHA-512";

/** Lower-case hex HMAC of `message` keyed by `key` (both UTF-8 unless bytes are given). */
export async function hmacHex(algorithm: HmacAlgorithm, key: string | Uint8Array, message: string | Uint8Array): Promise<string> {
  return toHex(await hmac(algorithm, key, message));
}

/**
 * Imported HMAC keys of string secrets (ingress keys, provider Secrets), per isolate: the same few
 * keys sign or verify every request, and importing one costs as much as the HMAC itself. The keys
 * are non-extractable; the map is emptied when it reaches HMAC_KEYS_KEPT.
 */
const importedKeys = new Map<string, CryptoKey>();
const HMAC_KEYS_KEPT = 64;

async function hmacKey(algorithm: HmacAlgorithm, key: string | Uint8Array): Promise<CryptoKey> {
  const cacheKey = typeof key === "string" ? `${algorithm}\n${key}` : undefined;
  const cached = cacheKey === undefined ? undefined : importedKeys.get(cacheKey);
  if (cached) return cached;
  const keyBytes = typeof key === "string" ? encoder.encode(key) : key;
  const imported = await crypto.subtle.importKey("raw", keyBytes as BufferSource, { name: "HMAC", hash: algorithm }, false, ["sign"]);
  if (cacheKey !== undefined) {
    if (importedKeys.size >= HMAC_KEYS_KEPT) importedKeys.clear();
    importedKeys.set(cacheKey, imported);
  }
  return imported;
}

export async function hmac(algorithm: HmacAlgorithm, key: string | Uint8Array, message: string | Uint8Array): Promise<Uint8Array> {
  const cryptoKey = await hmacKey(algorithm, key);
  const data = typeof message === "string" ? encoder.encode(message) : message;
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, data as BufferSource));
}

export async function sha256Hex(message: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(message))));
}

/** The two hex digits of every byte value, so encoding a digest is one lookup per byte. */
const HEX_BYTES = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX_BYTES[b];
  return out;
}

/** Constant-time string comparison (length leaks, content does not). */
export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  // Past the shorter string charCodeAt is NaN, which `| 0` turns into 0: every index costs the same.
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
