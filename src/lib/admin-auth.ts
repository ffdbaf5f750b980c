import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { UnauthorizedError } from "./errors";
import { timingSafeEqual } from "./crypto";
import { sessionValid, SESSION_COOKIE } from "./session";

/**
 * Admin authentication for /api/*, /metrics and the status page: `Authorization: Bearer
 * <ADMIN_TOKEN>` compared in constant time, or the status page's session cookie.
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
  if (cookie && (await sessionValid(cookie, token))) return next();
  throw new UnauthorizedError("missing admin token: send Authorization: Bearer <ADMIN_TOKEN>");
};
