/**
 * NATS NKeys (github.com/nats-io/nkeys): Ed25519 keys written as base32 with a type prefix and a
 * CRC-16 checksum. Only what a publisher needs: read a seed, derive its public key, sign the
 * server's nonce. Signing goes through WebCrypto's Ed25519.
 */

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** nkeys PrefixByteSeed: the first five bits of every seed. */
const PREFIX_SEED = 18 << 3;
/** The public-key prefixes a seed may carry (operator, account, user, server, cluster, curve). */
const PUBLIC_PREFIXES = new Set([14 << 3, 0, 20 << 3, 13 << 3, 2 << 3, 23 << 3]);
// PKCS#8 wrapping of a raw Ed25519 private key (RFC 8410): SEQUENCE, version 0, id-Ed25519, OCTET STRING.
const PKCS8_ED25519 = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/** A seed that cannot be read; the message never quotes the seed. */
export class NkeyError extends Error {
  override name = "NkeyError";
}

/** A signing key read from a seed, with its public key in nkey form (`U...` for a user). */
export interface NkeyPair {
  publicKey: string;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** Reads an nkey seed (`SU...`) and prepares it for signing. */
export async function nkeyFromSeed(seed: string): Promise<NkeyPair> {
  const { publicPrefix, key: raw } = readSeed(seed);
  const key = await importSeed(raw);
  const jwk = await crypto.subtle.exportKey("jwk", key);
  if (typeof jwk !== "object" || !("x" in jwk) || typeof jwk.x !== "string") throw new NkeyError("invalid nkey seed: no public key");
  const publicKey = encodeChecked(new Uint8Array([publicPrefix, ...fromBase64url(jwk.x)]));
  return { publicKey, sign: async (data) => new Uint8Array(await crypto.subtle.sign("Ed25519", key, data)) };
}

/** Throws an NkeyError when the text is not a well-formed seed (checked before any WebCrypto call). */
export function checkSeed(seed: string): void {
  readSeed(seed);
}

/** The 32-byte Ed25519 private key of a seed and the prefix byte of its public key. */
function readSeed(seed: string): { publicPrefix: number; key: Uint8Array } {
  const raw = decodeChecked(seed.trim());
  if (raw.length !== 34) throw new NkeyError("invalid nkey seed: wrong length");
  const publicPrefix = ((raw[0] & 0x07) << 5) | ((raw[1] & 0xf8) >> 3);
  if ((raw[0] & 0xf8) !== PREFIX_SEED || !PUBLIC_PREFIXES.has(publicPrefix)) throw new NkeyError("invalid nkey seed: not a seed");
  return { publicPrefix, key: raw.subarray(2) };
}

async function importSeed(seed: Uint8Array): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey("pkcs8", new Uint8Array([...PKCS8_ED25519, ...seed]), { name: "Ed25519" }, true, ["sign"]);
  } catch {
    throw new NkeyError("invalid nkey seed: not an Ed25519 key");
  }
}

/** Base32 (RFC 4648, unpadded) text whose last two bytes are the little-endian CRC-16 of the rest. */
function decodeChecked(text: string): Uint8Array {
  const bytes = base32Decode(text);
  if (bytes.length < 3) throw new NkeyError("invalid nkey seed: too short");
  const body = bytes.subarray(0, bytes.length - 2);
  const sum = bytes[bytes.length - 2] | (bytes[bytes.length - 1] << 8);
  if (crc16(body) !== sum) throw new NkeyError("invalid nkey seed: checksum mismatch");
  return body;
}

function encodeChecked(body: Uint8Array): string {
  const sum = crc16(body);
  return base32Encode(new Uint8Array([...body, sum & 0xff, sum >> 8]));
}

function base32Decode(text: string): Uint8Array {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of text) {
    const value = BASE32.indexOf(ch);
    if (value < 0) throw new NkeyError("invalid nkey seed: not base32");
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return new Uint8Array(out);
}

function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/** CRC-16/XMODEM (polynomial 0x1021, initial 0), nkeys' checksum. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}


function fromBase64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

