import { Hono, type Context, type MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { JSX } from "hono/jsx/jsx-runtime";
import { loadConfig } from "../config/store";
import { providerStub } from "../delivery/provider-stub";
import type { ProviderRef } from "../delivery/provider-object";
import { roleOfToken } from "../lib/admin-auth";
import { PayloadTooLargeError, RelayError } from "../lib/errors";
import { enforceRateLimit } from "../lib/rate-limit";
import { readCapped } from "../lib/read-capped";
import { createSession, revokeSessions, sessionCookieName, sessionRole, type Role } from "../lib/session";
import { DASHBOARD_CSS, DASHBOARD_JS } from "./dashboard-assets";
import { deliveryFilter, gatherDashboard, plural } from "./dashboard-data";
import { silenceFromForm } from "./dashboard-silences";
import { DashboardPage, LiveSections, LoginPage, MessagePage } from "./dashboard-view";
import { createSilence, expireSilenceById } from "./silences";

type Env_ = { Bindings: Env };

const FLASH_COOKIE = "flux_relay_flash";
/** A sign-in form holds one token: anything larger is refused before it is parsed. */
const MAX_LOGIN_BODY = 4 * 1024;

/**
 * The status page (docs/operations.md): `GET /` shows a login form until ADMIN_TOKEN or READ_TOKEN
 * has been exchanged for a session cookie; with the admin token its buttons are plain forms that
 * call the same Durable Object methods as the admin API, with the read token it has none. CSRF
 * defence: SameSite=Strict cookies plus an Origin check on every POST.
 */
export const dashboard = new Hono<Env_>();

/** No inline script or style anywhere (only /dashboard.js and /dashboard.css), no framing, nothing cached. */
const pageHeaders: MiddlewareHandler<Env_> = async (c, next) => {
  await next();
  c.header("content-security-policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  c.header("x-content-type-options", "nosniff");
  // Not no-referrer: Chrome then sends `Origin: null` with the page's own form posts, which the Origin check must refuse.
  c.header("referrer-policy", "same-origin");
  c.header("cache-control", "no-store");
};
for (const path of ["/", "/login", "/logout", "/dashboard/*"]) dashboard.use(path, pageHeaders);

/** Every page starts with a doctype, so browsers render in standards mode (not quirks mode). */
async function page(c: Context<Env_>, node: JSX.Element, status: 200 | 401 | 403 | 404 | 503 = 200) {
  return c.html(`<!DOCTYPE html>${await node.toString()}`, status);
}

const sameOrigin: MiddlewareHandler<Env_> = async (c, next) => {
  const origin = c.req.header("origin");
  if (!origin || origin !== new URL(c.req.url).origin) {
    return page(c, <MessagePage title="Forbidden" message="This form must be sent from the flux-relay status page itself (Origin check)." />, 403);
  }
  return next();
};

/** The role of the browser's session, undefined when it has none (or a revoked or expired one). */
async function signedIn(c: Context<Env_>): Promise<Role | undefined> {
  const cookie = getCookie(c, sessionCookieName(c.req.url));
  return c.env.ADMIN_TOKEN && cookie ? sessionRole(c.env, cookie) : undefined;
}

const requireSession: MiddlewareHandler<Env_> = async (c, next) => {
  if (!(await signedIn(c))) return page(c, <LoginPage error="Your session has expired: sign in again." />, 401);
  return next();
};

const requireAdminSession: MiddlewareHandler<Env_> = async (c, next) => {
  const role = await signedIn(c);
  if (!role) return page(c, <LoginPage error="Your session has expired: sign in again." />, 401);
  if (role !== "admin") return page(c, <MessagePage title="Forbidden" message="This session was opened with READ_TOKEN, which can only read: sign in with ADMIN_TOKEN to act." />, 403);
  return next();
};

const secure = (c: Context<Env_>) => new URL(c.req.url).protocol === "https:";

const asset = (body: string, type: string) => (c: Context<Env_>) => c.body(body, 200, { "content-type": `${type}; charset=utf-8`, "cache-control": "public, max-age=300" });
dashboard.get("/dashboard.css", asset(DASHBOARD_CSS, "text/css"));
dashboard.get("/dashboard.js", asset(DASHBOARD_JS, "text/javascript"));

dashboard.get("/", async (c) => {
  if (!c.env.ADMIN_TOKEN) return page(c, <LoginPage error="ADMIN_TOKEN is not set: the status page is disabled (wrangler secret put ADMIN_TOKEN)." />, 503);
  const role = await signedIn(c);
  if (!role) return page(c, <LoginPage />);
  const flash = getCookie(c, FLASH_COOKIE);
  if (flash !== undefined) deleteCookie(c, FLASH_COOKIE, { path: "/", secure: secure(c), httpOnly: true, sameSite: "Strict" });
  const data = await gatherDashboard(c.env, { filter: deliveryFilter(c.req.query()), canWrite: role === "admin" });
  return page(c, <DashboardPage data={{ ...data, flash }} />);
});

/** The refreshed part of the page, for /dashboard.js (same filter as the page's query string). */
dashboard.get("/dashboard/live", requireSession, async (c) => {
  const data = await gatherDashboard(c.env, { filter: deliveryFilter(c.req.query()), canWrite: (await signedIn(c)) === "admin" });
  return page(c, <LiveSections data={data} />);
});

/**
 * Sign-in: at most 10 attempts a minute per client address (LOGIN_LIMITER, counted before anything
 * else, since a non-browser client sets Origin freely) and a 4 KiB body read before parsing.
 */
dashboard.post("/login", async (c, next) => {
  await enforceRateLimit(c.env.LOGIN_LIMITER, c.req.raw.headers, "sign-in attempts");
  return next();
}, sameOrigin, async (c) => {
  if (!c.env.ADMIN_TOKEN) return page(c, <LoginPage error="ADMIN_TOKEN is not set: the status page is disabled." />, 503);
  if (Number(c.req.header("content-length") ?? "0") > MAX_LOGIN_BODY) throw new PayloadTooLargeError(MAX_LOGIN_BODY);
  const body = await readCapped(c.req.raw.body, MAX_LOGIN_BODY, { overflow: "throw", onOverflow: () => new PayloadTooLargeError(MAX_LOGIN_BODY) });
  const given = new URLSearchParams(new TextDecoder().decode(body)).get("token") ?? "";
  const role = roleOfToken(c.env, given);
  if (!role) return page(c, <LoginPage error="Wrong token." />, 401);
  const session = await createSession(c.env, role);
  setCookie(c, sessionCookieName(c.req.url), session.value, { path: "/", httpOnly: true, sameSite: "Strict", secure: secure(c), maxAge: session.maxAge });
  return c.redirect("/", 303);
});

/** Signs every browser out (the session generation moves on in KV), then forgets this one's cookie. */
dashboard.post("/logout", sameOrigin, async (c) => {
  if (await signedIn(c)) await revokeSessions(c.env);
  deleteCookie(c, sessionCookieName(c.req.url), { path: "/", secure: secure(c), httpOnly: true, sameSite: "Strict" });
  return c.redirect("/", 303);
});

const ACTIONS = ["suspend", "resume", "test", "replay", "discard"] as const;

dashboard.post("/dashboard/providers/:ns/:name/:action", sameOrigin, requireAdminSession, async (c) => {
  const ref: ProviderRef = { namespace: c.req.param("ns"), name: c.req.param("name") };
  const action = c.req.param("action") as (typeof ACTIONS)[number];
  if (!ACTIONS.includes(action)) return page(c, <MessagePage title="Not found" message="No such action." />, 404);
  const config = await loadConfig(c.env);
  if (!config.providers.has(`${ref.namespace}/${ref.name}`)) {
    return page(c, <MessagePage title="Not found" message={`Provider ${ref.namespace}/${ref.name} does not exist.`} />, 404);
  }
  const form = await c.req.parseBody();
  const ids = typeof form.ids === "string" && form.ids ? form.ids.split(",").map(Number).filter((n) => Number.isInteger(n) && n > 0) : undefined;
  const stub = providerStub(c.env, ref);
  const name = `${ref.namespace}/${ref.name}`;
  let message: string;
  if (action === "suspend" || action === "resume") {
    await stub.setSuspended(ref, action === "suspend");
    message = `${name} ${action === "suspend" ? "suspended" : "resumed"}.`;
  } else if (action === "test") {
    const t = await stub.testSend(ref);
    const took = t.status === null && t.latencyMs === 0 ? "" : ` in ${t.latencyMs} ms`;
    message = `Test send to ${name}: ${t.outcome}${t.status ? ` (HTTP ${t.status})` : ""}${took}${t.error ? `: ${t.error}` : ""}`;
  } else if (action === "replay") {
    message = `${name}: ${plural((await stub.replayDeadLetters(ids)).replayed, "dead letter")} replayed.`;
  } else {
    message = `${name}: ${plural((await stub.discardDeadLetters(ids)).discarded, "dead letter")} discarded.`;
  }
  return flashAndReturn(c, message);
});

/** Back to the page, which shows `message` once. */
function flashAndReturn(c: Context<Env_>, message: string) {
  // A short-lived cookie rather than a query parameter, so no link can make the page say anything.
  setCookie(c, FLASH_COOKIE, message.slice(0, 1000), { path: "/", httpOnly: true, sameSite: "Strict", secure: secure(c), maxAge: 60 });
  return c.redirect("/", 303);
}

/** The silence forms of src/routes/dashboard-silences.tsx, through the silences API's own validation. */
dashboard.post("/dashboard/silences", sameOrigin, requireAdminSession, async (c) => {
  try {
    const created = await createSilence(c.env, silenceFromForm(await c.req.parseBody(), Date.now()));
    return flashAndReturn(c, `Silence ${created.id} created (${Object.entries(created.matchers).map(([k, v]) => `${k}=${v}`).join(", ")}), until ${created.endsAt}.`);
  } catch (err) {
    if (!(err instanceof RelayError)) throw err;
    return flashAndReturn(c, `Silence not created: ${[err.message, ...err.details].join("; ")}`);
  }
});

dashboard.post("/dashboard/silences/:id/expire", sameOrigin, requireAdminSession, async (c) => {
  try {
    const expired = await expireSilenceById(c.env, c.req.param("id"));
    return flashAndReturn(c, `Silence ${expired.id} expired.`);
  } catch (err) {
    if (!(err instanceof RelayError)) throw err;
    return flashAndReturn(c, `Silence not expired: ${err.message}`);
  }
});
