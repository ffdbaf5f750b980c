const encoder = new TextEncoder();

export type HmacAlgorithm = "SHA-256" | "SHA-384" | "SHA-512";

/** Lower-case hex HMAC of `message` keyed by `key` (both UTF-8 unless bytes are given). */
export async function hmacHex(algorithm: HmacAlgorithm, key: string | Uint8Array, message: string | Uint8Array): Promise<string> {
  return toHex(await hmac(algorithm, key, message));
}

export async function hmac(algorithm: HmacAlgorithm, key: string | Uint8Array, message: string | Uint8Array): Promise<Uint8Array> {
  const keyBytes = typeof key === "string" ? encoder.encode(key) : key;
  const cryptoKey = await crypto.subtle.importKey("raw", keyBytes as BufferSource, { name: "HMAC", hash: algorithm }, false, ["sign"]);
  const data = typeof message === "string" ? encoder.encode(message) : message;
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, data as BufferSource));
}

export async function sha256Hex(message: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(message))));
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Constant-time string comparison (length leaks, content does not). */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
