import { UnauthorizedError } from "./errors";
import { hmacHex, timingSafeEqual, type HmacAlgorithm } from "./crypto";

const ALGORITHMS: Record<string, HmacAlgorithm> = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" };

/** Why INGRESS_KEYS is unusable, or undefined when it is fine (shown by /healthz). */
export function ingressKeysProblem(raw: string | undefined): string | undefined {
  if (!raw || !raw.trim()) return "INGRESS_KEYS is not set: every hook request is refused (wrangler secret put INGRESS_KEYS)";
  try {
    parseIngressKeys(raw);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * INGRESS_KEYS: one key for every cluster, or a JSON object mapping a cluster name (or `*`) to a
 * key or a list of keys (several keys = rotation).
 */
export function parseIngressKeys(raw: string): Map<string, string[]> {
  const text = raw.trim();
  if (!text.startsWith("{")) return new Map([["*", [text]]]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error("INGRESS_KEYS looks like JSON but does not parse");
  }
  const out = new Map<string, string[]>();
  for (const [cluster, value] of Object.entries(parsed as Record<string, unknown>)) {
    const keys = typeof value === "string" ? [value] : Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : undefined;
    if (!keys) throw new Error(`INGRESS_KEYS entry ${JSON.stringify(cluster)} must be a string or a list of strings`);
    out.set(cluster, keys.filter((k) => k.length > 0));
  }
  return out;
}

function keysFor(raw: string | undefined, cluster: string): string[] {
  if (!raw?.trim()) return [];
  try {
    const keys = parseIngressKeys(raw);
    return keys.get(cluster) ?? keys.get("*") ?? [];
  } catch {
    return [];
  }
}

/**
 * Verifies `X-Signature: <alg>=<hex>` (HMAC of the exact body, as Flux's generic-hmac sends) or
 * `Authorization: Bearer <key>` against the cluster's keys, in constant time. Throws 401.
 */
export async function verifyIngress(raw: string | undefined, cluster: string, headers: Headers, body: Uint8Array): Promise<void> {
  const keys = keysFor(raw, cluster);
  if (keys.length === 0) throw new UnauthorizedError(`no ingress key is configured for cluster ${cluster}`);
  const signature = headers.get("x-signature");
  const authorization = headers.get("authorization");
  if (signature !== null) {
    const m = /^(sha256|sha384|sha512)=([0-9a-fA-F]+)$/.exec(signature.trim());
    if (!m) throw new UnauthorizedError("X-Signature must be <sha256|sha384|sha512>=<hex HMAC of the body>");
    const given = m[2].toLowerCase();
    let ok = false;
    for (const key of keys) ok = timingSafeEqual(await hmacHex(ALGORITHMS[m[1]], key, body), given) || ok;
    if (!ok) throw new UnauthorizedError("X-Signature does not match the body for any key of this cluster");
    return;
  }
  if (authorization !== null) {
    const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (!m) throw new UnauthorizedError("Authorization must be Bearer <key>");
    let ok = false;
    for (const key of keys) ok = timingSafeEqual(key, m[1]) || ok;
    if (!ok) throw new UnauthorizedError("bearer key is not valid for this cluster");
    return;
  }
  throw new UnauthorizedError("missing X-Signature or Authorization header");
}
