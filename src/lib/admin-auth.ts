import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { ForbiddenError, UnauthorizedError } from "./errors";
import { timingSafeEqual } from "./crypto";
import { sessionCookieName, sessionRole, tokenOf, type Role } from "./session";

type AuthEnv = { Bindings: Env };

/** Shortest ADMIN_TOKEN or READ_TOKEN not reported as weak: 128 bits as hex (`openssl rand -hex 16`). */
export const MIN_TOKEN_LENGTH = 32;

/**
 * The role a bearer token grants, compared in constant time against both tokens; undefined for
 * any other value. A READ_TOKEN equal to ADMIN_TOKEN grants admin (/healthz reports it).
 */
export function roleOfToken(env: Env, given: string): Role | undefined {
  const admin = tokenOf(env, "admin");
  const read = tokenOf(env, "read");
  const isAdmin = !!admin && timingSafeEqual(given, admin);
  const isRead = !!read && timingSafeEqual(given, read);
  return isAdmin ? "admin" : isRead ? "read" : undefined;
}

/**
 * Who is calling: `Authorization: Bearer <ADMIN_TOKEN | READ_TOKEN>`, or the status page's session
 * cookie. A cookie is sent by the browser on its own, so a write authenticated by it must also come
 * from this origin: SameSite=Strict alone lets a sibling subdomain (same site) forge a form post.
 */
async function authenticate(c: Context<AuthEnv>): Promise<Role> {
  if (!c.env.ADMIN_TOKEN) throw new UnauthorizedError("ADMIN_TOKEN is not set: the admin API is disabled (wrangler secret put ADMIN_TOKEN)");
  const header = c.req.header("authorization");
  if (header) {
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    const role = m ? roleOfToken(c.env, m[1]) : undefined;
    if (!role) throw new UnauthorizedError("invalid token: send Authorization: Bearer <ADMIN_TOKEN or READ_TOKEN>");
    return role;
  }
  const cookie = getCookie(c, sessionCookieName(c.req.url));
  const role = cookie ? await sessionRole(c.env, cookie) : undefined;
  if (role) {
    const safe = c.req.method === "GET" || c.req.method === "HEAD";
    if (!safe && c.req.header("origin") !== new URL(c.req.url).origin) {
      throw new UnauthorizedError("a session cookie authorizes writes only from the status page's origin; API clients send Authorization: Bearer <ADMIN_TOKEN>");
    }
    return role;
  }
  throw new UnauthorizedError("missing token: send Authorization: Bearer <ADMIN_TOKEN or READ_TOKEN>");
}

/** Either token (or a session made from it): the GET routes of the API, /metrics, the status page. */
export const requireRead: MiddlewareHandler<AuthEnv> = async (c, next) => {
  await authenticate(c);
  return next();
};

/** ADMIN_TOKEN only: 401 without a valid token, 403 with READ_TOKEN. */
export const requireAdmin: MiddlewareHandler<AuthEnv> = async (c, next) => {
  const role = await authenticate(c);
  if (role !== "admin") throw new ForbiddenError(`${c.req.method} needs ADMIN_TOKEN: READ_TOKEN can only read`);
  return next();
};

/** For a route group mixing reads and writes: GET and HEAD with either token, everything else admin only. */
export const requireReadOrAdminForWrites: MiddlewareHandler<AuthEnv> = (c, next) =>
  c.req.method === "GET" || c.req.method === "HEAD" ? requireRead(c, next) : requireAdmin(c, next);

/** Weak or misconfigured tokens, for /healthz; the values never appear. */
export function tokenProblems(env: Env): string[] {
  const problems: string[] = [];
  for (const role of ["admin", "read"] as const) {
    const token = tokenOf(env, role);
    const name = role === "admin" ? "ADMIN_TOKEN" : "READ_TOKEN";
    if (token && token.length < MIN_TOKEN_LENGTH) problems.push(`${name} is weak: shorter than ${MIN_TOKEN_LENGTH} characters (generate one with openssl rand -hex 32)`);
  }
  const admin = tokenOf(env, "admin");
  if (admin && admin === tokenOf(env, "read")) problems.push("READ_TOKEN equals ADMIN_TOKEN: it grants admin; give READ_TOKEN its own value");
  return problems;
}
