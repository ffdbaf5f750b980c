import { parseIngressKeysValue, type IngressKeys } from "../env";
import { hmacHex, timingSafeEqual, type HmacAlgorithm } from "../lib/crypto";
import { UnauthorizedError } from "../lib/errors";

const ALGORITHMS: Record<string, HmacAlgorithm> = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" };
const SIGNATURE = /^(sha256|sha384|sha512)=([0-9a-fA-F]+)$/;
const BEARER = /^Bearer\s+(.+)$/i;
/** Made on first use: Workers refuse random values in global scope. */
let unknownClusterKey: string | undefined;

/** Why INGRESS_KEYS is unusable, or undefined when it is fine (shown by /healthz). */
export function ingressKeysProblem(raw: string | undefined): string | undefined {
  const parsed = parseIngressKeysValue(raw);
  return "problem" in parsed ? parsed.problem : undefined;
}

/** The cluster names INGRESS_KEYS names explicitly (not `*`): clusters the relay expects. */
export function keyedClusters(keys: IngressKeys | undefined): string[] {
  return keys ? [...keys.keys()].filter((name) => name !== "*") : [];
}

/**
 * Verifies `X-Signature: <alg>=<hex>` (HMAC of the exact body, as Flux's generic-hmac sends) or
 * `Authorization: Bearer <key>` against the cluster's keys (its own entry, else `*`), in constant
 * time. Throws 401. Every key of a rotation list is tried, so timing does not reveal which one matched.
 */
export async function verifyIngress(keys: IngressKeys | undefined, cluster: string, headers: Headers, body: Uint8Array): Promise<void> {
  const configured = keys?.get(cluster) ?? keys?.get("*") ?? [];
  // A cluster without keys is answered exactly as a wrong key, after the same work, so the answer
  // does not tell which cluster names are configured: its one key is random and never matches.
  const candidates = configured.length > 0 ? configured : [(unknownClusterKey ??= crypto.randomUUID())];
  const signature = headers.get("x-signature");
  if (signature !== null) {
    const m = SIGNATURE.exec(signature.trim());
    if (!m) throw new UnauthorizedError("X-Signature must be <sha256|sha384|sha512>=<hex HMAC of the body>");
    const given = m[2].toLowerCase();
    let ok = false;
    for (const key of candidates) ok = timingSafeEqual(await hmacHex(ALGORITHMS[m[1]], key, body), given) || ok;
    if (!ok || configured.length === 0) throw new UnauthorizedError("X-Signature does not match the body for any key of this cluster");
    return;
  }
  const authorization = headers.get("authorization");
  if (authorization !== null) {
    const m = BEARER.exec(authorization.trim());
    if (!m) throw new UnauthorizedError("Authorization must be Bearer <key>");
    let ok = false;
    for (const key of candidates) ok = timingSafeEqual(key, m[1]) || ok;
    if (!ok || configured.length === 0) throw new UnauthorizedError("bearer key is not valid for this cluster");
    return;
  }
  throw new UnauthorizedError("missing X-Signature or Authorization header");
}
