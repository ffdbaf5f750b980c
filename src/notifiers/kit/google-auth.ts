import { sha256Hex } from "../../lib/crypto";
import { base64url } from "./http-auth";
import { jsonObject } from "./text";
import { FormatError, type Classification, type OutboundRequest, type Send } from "../types";

/** A Google service-account JSON key, reduced to what the JWT-bearer grant needs. */
export interface ServiceAccountKey {
  clientEmail: string;
  /** PKCS#8 PEM, as Google issues it. */
  privateKey: string;
  privateKeyId?: string;
  tokenUri: string;
}

const DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ASSERTION_LIFETIME_SECONDS = 3600;
/** A cached token is replaced this long before it expires, so no attempt starts with one about to lapse. */
const EARLY_REFRESH_MS = 5 * 60_000;
const CACHE_LIMIT = 256;

/**
 * The service-account key in the Secret's `token` (what Flux passes to option.WithCredentialsJSON).
 * Messages never quote the key. `token_uri` is honoured, as Google's libraries honour it: it is
 * the only way to point the grant elsewhere (a private endpoint, or a test's fake).
 */
export function serviceAccountKey(json: string): ServiceAccountKey {
  if (!json) {
    throw new FormatError(
      "no service-account key: set the token key of the Secret referenced by spec.secretRef to a JSON key (workload identity is not available to the relay)",
    );
  }
  let key: unknown;
  try {
    key = JSON.parse(json);
  } catch {
    throw new FormatError("invalid service-account key: the Secret's token key is not JSON");
  }
  if (key === null || typeof key !== "object" || Array.isArray(key)) throw new FormatError("invalid service-account key: the Secret's token key is not a JSON object");
  const { type, client_email, private_key, private_key_id, token_uri } = key as Record<string, unknown>;
  if (type !== "service_account") {
    throw new FormatError(`unsupported credentials in the Secret's token key: "type" must be "service_account" (the relay signs with a service-account key)`);
  }
  if (typeof client_email !== "string" || !client_email) throw new FormatError("invalid service-account key: client_email is missing");
  if (typeof private_key !== "string" || !private_key.includes("-----BEGIN PRIVATE KEY-----")) {
    throw new FormatError("invalid service-account key: private_key is missing or not a PKCS#8 PEM key");
  }
  const tokenUri = token_uri === undefined || token_uri === "" ? DEFAULT_TOKEN_URI : token_uri;
  if (typeof tokenUri !== "string" || !/^https?:\/\/[^/]/.test(tokenUri)) throw new FormatError("invalid service-account key: token_uri is not an http(s) URL");
  return { clientEmail: client_email, privateKey: private_key, privateKeyId: typeof private_key_id === "string" && private_key_id ? private_key_id : undefined, tokenUri };
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

/**
 * Access tokens per (key, scope), kept for the isolate's lifetime as Google's token sources keep
 * theirs: one grant an hour per key instead of one per event. Keyed by a hash, so the map holds
 * no key material.
 */
const tokens = new Map<string, CachedToken>();

/** A bearer token from the cache, or freshly granted; `cached` says which. */
export interface AccessToken {
  accessToken: string;
  cached: boolean;
  cacheKey: string;
}

/**
 * An access token for `scope`, minted by the OAuth2 JWT-bearer grant (RFC 7523) with an RS256
 * assertion signed by the service account, as golang.org/x/oauth2/google's JWT config does.
 * A refused grant comes back as the classification of that request.
 */
export async function accessToken(key: ServiceAccountKey, scope: string, now: number, send: Send): Promise<AccessToken | Classification> {
  const cacheKey = await sha256Hex(`${key.tokenUri}\n${key.clientEmail}\n${key.privateKey}\n${scope}`);
  const cached = tokens.get(cacheKey);
  if (cached && cached.expiresAt - EARLY_REFRESH_MS > now) return { accessToken: cached.accessToken, cached: true, cacheKey };
  const granted = await send(await tokenRequest(key, scope, now));
  const c = granted.classification;
  if (c.outcome !== "delivered") return { ...c, reason: `failed to get an access token for the service account: ${c.reason}` };
  const answer = jsonObject(granted.response?.body ?? "");
  const token = answer?.access_token;
  if (typeof token !== "string" || !token) return { outcome: "permanent", reason: "failed to get an access token for the service account: the answer has no access_token" };
  const lifetime = typeof answer?.expires_in === "number" && answer.expires_in > 0 ? answer.expires_in : ASSERTION_LIFETIME_SECONDS;
  if (tokens.size >= CACHE_LIMIT) tokens.clear();
  tokens.set(cacheKey, { accessToken: token, expiresAt: now + lifetime * 1000 });
  return { accessToken: token, cached: false, cacheKey };
}

/** Drops a cached token the API refused (revoked, or the key was disabled), so the next one is granted afresh. */
export function forgetAccessToken(token: AccessToken): void {
  tokens.delete(token.cacheKey);
}

/** The grant request: `POST <token_uri>` with the signed assertion, form-encoded. */
export async function tokenRequest(key: ServiceAccountKey, scope: string, now: number): Promise<OutboundRequest> {
  const iat = Math.floor(now / 1000);
  const header = key.privateKeyId ? { alg: "RS256", typ: "JWT", kid: key.privateKeyId } : { alg: "RS256", typ: "JWT" };
  const claims = { iss: key.clientEmail, scope, aud: key.tokenUri, exp: iat + ASSERTION_LIFETIME_SECONDS, iat };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", await signingKey(key.privateKey), new TextEncoder().encode(signingInput));
  const assertion = `${signingInput}.${base64url(new Uint8Array(signature))}`;
  return {
    method: "POST",
    url: key.tokenUri,
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
  };
}

async function signingKey(pem: string): Promise<CryptoKey> {
  const der = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  try {
    const bytes = Uint8Array.from(atob(der), (ch) => ch.charCodeAt(0));
    return await crypto.subtle.importKey("pkcs8", bytes, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
  } catch {
    throw new FormatError("invalid service-account key: private_key is not a PKCS#8 RSA key");
  }
}
