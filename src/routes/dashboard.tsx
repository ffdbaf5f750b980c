import { Hono, type Context, type MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { loadConfig } from "../config/store";
import { alertConditions } from "../delivery/alert-status";
import { providerStub } from "../delivery/dispatch";
import type { ProviderRef } from "../delivery/provider-object";
import { timingSafeEqual } from "../lib/crypto";
import { createSession, SESSION_COOKIE, sessionValid } from "../lib/session";
import { DASHBOARD_CSS, DashboardPage, LoginPage, MessagePage, type DashboardData } from "./dashboard-view";
import { providerView } from "./views";

type Env_ = { Bindings: Env };

const FLASH_COOKIE = "flux_relay_flash";
const RECENT_PER_PROVIDER = 20;
const RECENT_SHOWN = 50;

/**
 * The status page (design section 7): `GET /` shows a login form until the admin token has been
 * exchanged for a session cookie; its buttons are plain forms that call the same Durable Object
 * methods as the admin API. CSRF defence: SameSite=Strict cookies plus an Origin check on every POST.
 */
export const dashboard = new Hono<Env_>();

/** No inline script or style anywhere, no framing, nothing cached. */
const pageHeaders: MiddlewareHandler<Env_> = async (c, next) => {
  await next();
  c.header("content-security-policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  c.header("x-content-type-options", "nosniff");
  // Not no-referrer: Chrome then sends `Origin: null` with the page's own form posts, which the Origin check must refuse.
  c.header("referrer-policy", "same-origin");
  c.header("cache-control", "no-store");
};
for (const path of ["/", "/login", "/logout", "/dashboard/*"]) dashboard.use(path, pageHeaders);

const sameOrigin: MiddlewareHandler<Env_> = async (c, next) => {
  const origin = c.req.header("origin");
  if (!origin || origin !== new URL(c.req.url).origin) {
    return c.html(<MessagePage title="Forbidden" message="This form must be sent from the flux-relay status page itself (Origin check)." />, 403);
  }
  return next();
};

async function signedIn(c: Context<Env_>): Promise<boolean> {
  const cookie = getCookie(c, SESSION_COOKIE);
  return !!c.env.ADMIN_TOKEN && !!cookie && (await sessionValid(cookie, c.env.ADMIN_TOKEN));
}

const requireSession: MiddlewareHandler<Env_> = async (c, next) => {
  if (!(await signedIn(c))) return c.html(<LoginPage error="Your session has expired: sign in again." />, 401);
  return next();
};

const secure = (c: Context<Env_>) => new URL(c.req.url).protocol === "https:";

dashboard.get("/dashboard.css", (c) => c.body(DASHBOARD_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=300" }));

dashboard.get("/", async (c) => {
  if (!c.env.ADMIN_TOKEN) return c.html(<LoginPage error="ADMIN_TOKEN is not set: the status page is disabled (wrangler secret put ADMIN_TOKEN)." />, 503);
  if (!(await signedIn(c))) return c.html(<LoginPage />);
  const flash = getCookie(c, FLASH_COOKIE);
  if (flash !== undefined) deleteCookie(c, FLASH_COOKIE, { path: "/", secure: secure(c), httpOnly: true, sameSite: "Strict" });
  return c.html(<DashboardPage {...(await gather(c.env))} flash={flash} />);
});

dashboard.post("/login", sameOrigin, async (c) => {
  const token = c.env.ADMIN_TOKEN;
  if (!token) return c.html(<LoginPage error="ADMIN_TOKEN is not set: the status page is disabled." />, 503);
  const form = await c.req.parseBody();
  const given = typeof form.token === "string" ? form.token : "";
  if (!timingSafeEqual(given, token)) return c.html(<LoginPage error="Wrong admin token." />, 401);
  const session = await createSession(token);
  setCookie(c, SESSION_COOKIE, session.value, { path: "/", httpOnly: true, sameSite: "Strict", secure: secure(c), maxAge: session.maxAge });
  return c.redirect("/", 303);
});

dashboard.post("/logout", sameOrigin, (c) => {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: secure(c), httpOnly: true, sameSite: "Strict" });
  return c.redirect("/", 303);
});

const ACTIONS = ["suspend", "resume", "test", "replay", "discard"] as const;

dashboard.post("/dashboard/providers/:ns/:name/:action", sameOrigin, requireSession, async (c) => {
  const ref: ProviderRef = { namespace: c.req.param("ns"), name: c.req.param("name") };
  const action = c.req.param("action") as (typeof ACTIONS)[number];
  if (!ACTIONS.includes(action)) return c.html(<MessagePage title="Not found" message="No such action." />, 404);
  const config = await loadConfig(c.env);
  if (!config.providers.has(`${ref.namespace}/${ref.name}`)) {
    return c.html(<MessagePage title="Not found" message={`Provider ${ref.namespace}/${ref.name} does not exist.`} />, 404);
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
    message = `Test send to ${name}: ${t.outcome}${t.status ? ` (HTTP ${t.status})` : ""} in ${t.latencyMs} ms${t.error ? `: ${t.error}` : ""}`;
  } else if (action === "replay") {
    message = `${name}: ${(await stub.replayDeadLetters(ids)).replayed} dead letters replayed.`;
  } else {
    message = `${name}: ${(await stub.discardDeadLetters(ids)).discarded} dead letters discarded.`;
  }
  // A short-lived cookie rather than a query parameter, so no link can make the page say anything.
  setCookie(c, FLASH_COOKIE, message.slice(0, 1000), { path: "/", httpOnly: true, sameSite: "Strict", secure: secure(c), maxAge: 60 });
  return c.redirect("/", 303);
});

/** Everything the page shows, one round of Durable Object calls per provider. */
async function gather(env: Env): Promise<Omit<DashboardData, "flash">> {
  const now = Date.now();
  const config = await loadConfig(env);
  const providers = await Promise.all([...config.providers.values()].map((p) => providerView(env, p)));
  const byName = new Map(providers.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const history = await Promise.all(providers.map(async (p) => {
    const ref = { namespace: p.metadata.namespace, name: p.metadata.name };
    const stub = providerStub(env, ref);
    const provider = `${ref.namespace}/${ref.name}`;
    const [deliveries, deadLetters] = await Promise.all([stub.deliveries(RECENT_PER_PROVIDER), p.status.deadLetters > 0 ? stub.deadLetters(RECENT_PER_PROVIDER) : []]);
    return { deliveries: deliveries.map((d) => ({ ...d, provider })), deadLetters: deadLetters.map((d) => ({ ...d, provider })) };
  }));
  const alerts = config.alerts.map((alert) => {
    const provider = byName.get(`${alert.metadata.namespace}/${alert.spec.providerRef.name}`);
    return { alert, conditions: alertConditions({ alert, providerFound: !!provider, providerStatus: provider?.status, dispatchFailures: [] }).conditions };
  });
  return {
    providers,
    alerts,
    deliveries: history.flatMap((h) => h.deliveries).sort((a, b) => b.at - a.at).slice(0, RECENT_SHOWN),
    deadLetters: history.flatMap((h) => h.deadLetters).sort((a, b) => b.failedAt - a.failedAt).slice(0, RECENT_SHOWN),
    invalid: config.invalid,
    now,
  };
}
