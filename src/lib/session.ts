import { hmacHex, timingSafeEqual } from "./crypto";

export const SESSION_COOKIE = "flux_relay_session";
const SESSION_SECONDS = 12 * 3600;

/**
 * A session cookie that does not contain the admin token: `<expiry>.<HMAC(token, expiry)>`.
 * Rotating ADMIN_TOKEN invalidates every session.
 */
export async function createSession(adminToken: string, now = Date.now()): Promise<{ value: string; maxAge: number }> {
  const expires = Math.floor(now / 1000) + SESSION_SECONDS;
  return { value: `${expires}.${await hmacHex("SHA-256", adminToken, `session:${expires}`)}`, maxAge: SESSION_SECONDS };
}

export async function sessionValid(cookie: string, adminToken: string, now = Date.now()): Promise<boolean> {
  const m = /^(\d+)\.([0-9a-f]{64})$/.exec(cookie);
  if (!m || Number(m[1]) * 1000 < now) return false;
  return timingSafeEqual(await hmacHex("SHA-256", adminToken, `session:${m[1]}`), m[2]);
}
