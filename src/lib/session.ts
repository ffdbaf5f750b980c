import { hmacHex, timingSafeEqual } from "./crypto";

/** What a token (or the session made from it) may do: `admin` everything, `read` the GET routes. */
export type Role = "admin" | "read";

const SESSION_NAME = "flux_relay_session";
const SESSION_SECONDS = 12 * 3600;
/** KV key of the session generation: bumping it signs every browser out. */
export const SESSION_GENERATION_KEY = "security/session-generation";

/**
 * The session cookie's name: `__Host-` over https, so the browser accepts it only when Secure,
 * host-only and for path `/` (a sibling subdomain cannot plant or shadow it); the plain name over
 * http, where browsers refuse `__Host-` cookies (`wrangler dev` on localhost).
 */
export function sessionCookieName(url: string): string {
  return new URL(url).protocol === "https:" ? `__Host-${SESSION_NAME}` : SESSION_NAME;
}

/** The token of a role, when configured. */
export function tokenOf(env: Env, role: Role): string | undefined {
  return (role === "admin" ? env.ADMIN_TOKEN : env.READ_TOKEN) || undefined;
}

/**
 * A session cookie that does not contain the token: `<role>.<generation>.<expiry>.<HMAC(token, all
 * three)>`. Rotating the token invalidates its sessions; so does a logout, which bumps the
 * generation stored in KV.
 */
export async function createSession(env: Env, role: Role, now = Date.now()): Promise<{ value: string; maxAge: number }> {
  const token = tokenOf(env, role);
  if (!token) throw new Error(`no token for role ${role}`);
  const generation = await sessionGeneration(env, now);
  const expires = Math.floor(now / 1000) + SESSION_SECONDS;
  return { value: `${role}.${generation}.${expires}.${await sign(token, role, generation, expires)}`, maxAge: SESSION_SECONDS };
}

/** The role a session cookie grants, or undefined when it is forged, expired or revoked. */
export async function sessionRole(env: Env, cookie: string, now = Date.now()): Promise<Role | undefined> {
  const m = /^(admin|read)\.(\d{1,15})\.(\d{1,15})\.([0-9a-f]{64})$/.exec(cookie);
  if (!m || Number(m[3]) * 1000 < now) return undefined;
  const role = m[1] as Role;
  const token = tokenOf(env, role);
  if (!token) return undefined;
  if (!timingSafeEqual(await sign(token, role, Number(m[2]), Number(m[3])), m[4])) return undefined;
  return Number(m[2]) === (await sessionGeneration(env, now)) ? role : undefined;
}

/**
 * Signs every browser out: the generation in KV moves on, so no earlier cookie matches. Other
 * isolates see it within CONFIG_TTL_SECONDS (their cached generation) plus KV's propagation.
 */
export async function revokeSessions(env: Env, now = Date.now()): Promise<void> {
  const next = (await readGeneration(env)) + 1;
  await env.CONFIG.put(SESSION_GENERATION_KEY, String(next));
  cached = { generation: next, expiresAt: now + ttlMs(env) };
}

function sign(token: string, role: Role, generation: number, expires: number): Promise<string> {
  return hmacHex("SHA-256", token, `session:${role}:${generation}:${expires}`);
}

let cached: { generation: number; expiresAt: number } | undefined;

/** The current generation, read from KV at most once per CONFIG_TTL_SECONDS per isolate. */
async function sessionGeneration(env: Env, now: number): Promise<number> {
  if (cached && now < cached.expiresAt) return cached.generation;
  const generation = await readGeneration(env);
  cached = { generation, expiresAt: now + ttlMs(env) };
  return generation;
}

async function readGeneration(env: Env): Promise<number> {
  const value = Number(await env.CONFIG.get(SESSION_GENERATION_KEY));
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

function ttlMs(env: Env): number {
  const ttl = Number(env.CONFIG_TTL_SECONDS ?? 30);
  return (Number.isFinite(ttl) && ttl >= 0 ? ttl : 30) * 1000;
}
