import { sha256Hex } from "../../lib/crypto";
import { base64url } from "../kit/http-auth";
import { jsonObject } from "../kit/text";
import { FormatError, type Classification, type OutboundRequest, type Send } from "../types";

/**
 * GitHub App authentication as Flux reads it from the Provider's Secret (fluxcd/pkg
 * auth/githubapp/client.go): an RS256 JWT signed with the App's private key is exchanged for an
 * installation token at `POST <api>/app/installations/<id>/access_tokens`; the token is cached
 * until shortly before it expires.
 */
export interface GitHubApp {
  appId: string;
  /** Exactly one of the installation id and the installation owner (an organization or user). */
  installationId?: string;
  installationOwner?: string;
  /** PEM, PKCS#1 (`RSA PRIVATE KEY`, as GitHub issues it) or PKCS#8. */
  privateKey: string;
  /** The REST API the App is registered with, ending in `/` (githubAppBaseURL; api.github.com by default). */
  api: string;
}

/** How a request authenticates: as the installation (every repository call) or as the App itself (`GET /app`). */
export interface GitHubAppAuth {
  app: GitHubApp;
  as: "installation" | "app";
}

const DEFAULT_API = "https://api.github.com/";
/** Flux's JWT: issued 30 s in the past for clock drift, valid two minutes. */
const CLOCK_DRIFT_SECONDS = 30;
const JWT_LIFETIME_SECONDS = 120;
/** A cached token is replaced this long before it expires, so no attempt starts with one about to lapse. */
const EARLY_REFRESH_MS = 5 * 60_000;
const CACHE_LIMIT = 256;

/** The App settings of a Secret, or undefined when it has no `githubAppID` key. Throws Flux's messages. */
export function gitHubApp(secret: Record<string, string>): GitHubApp | undefined {
  if (secret.githubAppID === undefined) return undefined;
  // strconv.ParseInt errors leave Flux with 0, which it reports as missing.
  const int = (value: string | undefined) => (value !== undefined && /^[+-]?\d+$/.test(value.trim()) && BigInt(value.trim()) !== 0n ? BigInt(value.trim()).toString() : undefined);
  const appId = int(secret.githubAppID);
  if (!appId) throw new FormatError("app ID must be provided to use github app authentication: set githubAppID in the Secret to the App's numeric id");
  const installationId = int(secret.githubAppInstallationID);
  const installationOwner = secret.githubAppInstallationOwner || undefined;
  if (!installationId && !installationOwner) throw new FormatError("app installation owner or ID must be provided to use github app authentication: set githubAppInstallationID in the Secret");
  if (installationId && installationOwner) throw new FormatError("only one of app installation owner or ID must be provided to use github app authentication");
  const privateKey = secret.githubAppPrivateKey ?? "";
  if (!privateKey) throw new FormatError("private key must be provided to use github app authentication: set githubAppPrivateKey in the Secret");
  privateKeyDer(privateKey);
  const base = secret.githubAppBaseURL || DEFAULT_API;
  if (!/^https?:\/\/[^/]/.test(base)) throw new FormatError("invalid API URL: githubAppBaseURL must be an http(s) URL");
  return { appId, installationId, installationOwner, privateKey, api: base.endsWith("/") ? base : `${base}/` };
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * Installation tokens per App installation, kept for the isolate's lifetime (the role of Flux's
 * TokenCache): one exchange an hour per installation instead of one per event. Keyed by a hash
 * of the App settings, so the map holds no key material.
 */
const tokens = new Map<string, CachedToken>();

/** An installation token from the cache or freshly minted, or how minting failed. */
export async function installationToken(app: GitHubApp, now: number, send: Send): Promise<{ token: string; cacheKey: string } | Classification> {
  const cacheKey = await sha256Hex([app.appId, app.installationOwner ?? "", app.installationId ?? "", app.api, app.privateKey].join("\n"));
  const cached = tokens.get(cacheKey);
  if (cached && cached.expiresAt - EARLY_REFRESH_MS > now) return { token: cached.token, cacheKey };
  const jwt = await appJwt(app, now);
  let id = app.installationId;
  if (!id) {
    const found = await findInstallation(app, jwt, send);
    if (typeof found !== "string") return found;
    id = found;
  }
  const minted = await send(appRequest(app, "POST", `app/installations/${id}/access_tokens`, jwt));
  const c = minted.classification;
  if (c.outcome !== "delivered") return { ...c, reason: `failed to get a GitHub App installation token: ${c.reason}` };
  const answer = jsonObject(minted.response?.body ?? "");
  const token = answer?.token;
  if (typeof token !== "string" || !token) return { outcome: "permanent", reason: "failed to get a GitHub App installation token: the answer has no token" };
  const expires = typeof answer?.expires_at === "string" ? Date.parse(answer.expires_at) : NaN;
  if (tokens.size >= CACHE_LIMIT) tokens.clear();
  // GitHub's installation tokens live an hour; an answer without a readable expiry is trusted that long.
  tokens.set(cacheKey, { token, expiresAt: Number.isNaN(expires) ? now + 3_600_000 : expires });
  return { token, cacheKey };
}

/** Drops a token the API refused (revoked, or the installation removed), so the next attempt mints one. */
export function forgetInstallationToken(cacheKey: string): void {
  tokens.delete(cacheKey);
}

/** fluxcd/pkg's getInstallationID for an owner: the organization's installation, else the user's. */
async function findInstallation(app: GitHubApp, jwt: string, send: Send): Promise<string | Classification> {
  const reasons: string[] = [];
  for (const kind of ["orgs", "users"]) {
    const found = await send(appRequest(app, "GET", `${kind}/${encodeURIComponent(app.installationOwner!)}/installation`, jwt));
    const id = jsonObject(found.response?.body ?? "")?.id;
    if (found.classification.outcome === "delivered" && (typeof id === "number" || typeof id === "string")) return String(id);
    if (found.classification.outcome === "retry") return found.classification;
    reasons.push(`failed to find ${kind === "orgs" ? "organization" : "user"} installation: ${found.classification.outcome === "delivered" ? "no id in the answer" : found.classification.reason}`);
  }
  return { outcome: "permanent", reason: reasons.join("; ") };
}

/** A request to the App API as go-github sends it (no body for these calls), authenticated by `bearer`. */
export function appRequest(app: GitHubApp, method: "GET" | "POST", path: string, bearer?: string): OutboundRequest {
  const headers: Record<string, string> = { Accept: "application/vnd.github.v3+json", "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "flux-relay" };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  return { method, url: `${app.api}${path}`, headers, body: "" };
}

/** The App's JWT (RS256), with the claims of golang-jwt's RegisteredClaims in their JSON order. */
export async function appJwt(app: GitHubApp, now: number): Promise<string> {
  const iat = Math.floor(now / 1000) - CLOCK_DRIFT_SECONDS;
  const claims = { iss: app.appId, exp: iat + JWT_LIFETIME_SECONDS, iat };
  const signingInput = `${base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${base64url(JSON.stringify(claims))}`;
  const key = await signingKey(app.privateKey);
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(signingInput));
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}

async function signingKey(pem: string): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey("pkcs8", privateKeyDer(pem), { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw new FormatError("could not parse private key: githubAppPrivateKey is not an RSA private key");
  }
}

// AlgorithmIdentifier rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters, and version 0.
const RSA_ALGORITHM = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];

/**
 * The PKCS#8 DER of a PEM private key, as golang-jwt's ParseRSAPrivateKeyFromPEM accepts it:
 * PKCS#1 (`RSA PRIVATE KEY`) is wrapped into PKCS#8, which is all WebCrypto imports.
 */
export function privateKeyDer(pem: string): Uint8Array {
  const block = /-----BEGIN (RSA )?PRIVATE KEY-----([\s\S]*?)-----END (RSA )?PRIVATE KEY-----/.exec(pem);
  if (!block) throw new FormatError("could not parse private key: invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key (githubAppPrivateKey)");
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(block[2].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    throw new FormatError("could not parse private key: the PEM block of githubAppPrivateKey is not base64");
  }
  if (der[0] !== 0x30) throw new FormatError("could not parse private key: githubAppPrivateKey is not a DER sequence");
  if (!block[1]) return der;
  const octets = [0x04, ...derLength(der.length), ...der];
  const body = [0x02, 0x01, 0x00, ...RSA_ALGORITHM, ...octets];
  return new Uint8Array([0x30, ...derLength(body.length), ...body]);
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}
