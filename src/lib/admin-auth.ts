import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { UnauthorizedError } from "./errors";
import { timingSafeEqual } from "./crypto";
import { sessionValid, SESSION_COOKIE } from "./session";

/**
 * Admin authentication for /api/*, /metrics and the status page: `Authorization: Bearer
 * <ADMIN_TOKEN>` compared in constant time, or the status page's session cookie. A cookie is sent
 * by the browser on its own, so a write authenticated by it must also come from this origin:
 * SameSite=Strict alone lets a sibling subdomain (same site) forge a form post.
 */
export const requireAdmin: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const token = c.env.ADMIN_TOKEN;
  if (!token) throw new UnauthorizedError("ADMIN_TOKEN is not set: the admin API is disabled (wrangler secret put ADMIN_TOKEN)");
  const header = c.req.header("authorization");
  if (header) {
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!m || !timingSafeEqual(m[1], token)) throw new UnauthorizedError("invalid admin token");
    return next();
  }
  const cookie = getCookie(c, SESSION_COOKIE);
  if (cookie && (await sessionValid(cookie, token))) {
    const safe = c.req.method === "GET" || c.req.method === "HEAD";
    if (!safe && c.req.header("origin") !== new URL(c.req.url).origin) {
      throw new UnauthorizedError("a session cookie authorizes writes only from the status page's origin; API clients send Authorization: Bearer <ADMIN_TOKEN>");
    }
    return next();
  }
  throw new UnauthorizedError("missing admin token: send Authorization: Bearer <ADMIN_TOKEN>");
};
