import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { relayEnv } from "../../src/env";
import type { ClusterView } from "../../src/ingress/cluster-object";
import { attention, clusterRows, lastHours, outcomeOf, plural } from "../../src/routes/dashboard-data";
import { alignHours, Sparkline } from "../../src/routes/dashboard-sparkline";
import { admin, captureBox, clearConfig, json, fixtureEvent, putAlert, putProvider, sendSigned } from "../support/workers";

const ORIGIN = "http://relay";
const XSS = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`;

function page(path: string, init: RequestInit & { cookie?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set("cookie", init.cookie);
  return exports.default.fetch(`${ORIGIN}${path}`, { ...init, headers, redirect: "manual" });
}

let client = 0;

function post(path: string, form: Record<string, string>, opts: { cookie?: string; origin?: string | null } = {}): Promise<Response> {
  // A client address per request: sign-ins are limited to 10 a minute per address (test/workers/security.test.ts).
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": `192.0.2.${++client % 250}` };
  if (opts.origin !== null) headers.origin = opts.origin ?? ORIGIN;
  return page(path, { method: "POST", headers, body: new URLSearchParams(form).toString(), cookie: opts.cookie });
}

/** Cookie header value for the next request, from a response's Set-Cookie lines. */
function cookiesOf(res: Response): string {
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

async function login(): Promise<string> {
  const res = await post("/login", { token: "test-admin-token" });
  expect(res.status).toBe(303);
  return cookiesOf(res);
}

async function until(check: () => Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("status page", () => {
  const box = captureBox();

  beforeAll(async () => {
    await clearConfig();
    await box.program([{ status: 400, body: `rejected ${XSS}` }]);
    await putProvider("webhook", { type: "generic", address: box.url });
    await putProvider("chat", { type: "slack", address: "not a url" });
    await putProvider("pager", { type: "generic", address: "https://example.invalid/", secretRef: { name: "pager-token" } });
    await putAlert("all", { providerRef: { name: "webhook" } });
    await putAlert("orphan", { providerRef: { name: "gone" } });
    expect((await sendSigned(fixtureEvent({ reason: XSS, message: "dashboard dead letter" }))).status).toBe(202);
    await box.waitFor(1);
  });

  it("shows only a login form without a session, whatever exists", async () => {
    const res = await page("/");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<form method="post" action="/login">');
    expect(html).toContain('type="password"');
    for (const hidden of ["webhook", "chat", "pager", "<table", "dead letter"]) expect(html).not.toContain(hidden);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("exchanges the admin token for an HttpOnly, SameSite=Strict session cookie that does not contain it", async () => {
    const res = await post("/login", { token: "test-admin-token" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const [setCookie] = res.headers.getSetCookie();
    expect(setCookie).toMatch(/^flux_relay_session=admin\.\d+\.\d+\.[0-9a-f]{64}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain("test-admin-token");
    // The session also opens the JSON API, but writes through it only from this origin.
    const cookie = cookiesOf(res);
    expect((await page("/api/v1/providers", { cookie })).status).toBe(200);
    const discard = "/api/v1/providers/flux-system/webhook/deadletters/discard";
    expect((await page(discard, { method: "POST", cookie, body: "{}", headers: { "content-type": "text/plain" } })).status).toBe(401);
    expect((await page(discard, { method: "POST", cookie, body: "{}", headers: { origin: "https://sibling.example" } })).status).toBe(401);
    expect((await page(discard, { method: "POST", cookie, body: '{"ids":[999]}', headers: { origin: ORIGIN } })).status).toBe(200);
  });

  it("refuses a wrong token, and logins or actions without a same-origin Origin header", async () => {
    const wrong = await post("/login", { token: "guess" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    expect(await wrong.text()).toContain("Wrong token.");
    for (const origin of [null, "https://evil.example", "null"]) {
      expect((await post("/login", { token: "test-admin-token" }, { origin })).status).toBe(403);
    }
    const cookie = await login();
    expect((await post("/dashboard/providers/flux-system/webhook/suspend", {}, { cookie, origin: "https://evil.example" })).status).toBe(403);
    expect((await post("/dashboard/providers/flux-system/webhook/suspend", {}, { cookie, origin: null })).status).toBe(403);
    expect((await post("/dashboard/providers/flux-system/webhook/suspend", {})).status).toBe(401);
    expect((await post("/dashboard/providers/flux-system/webhook/suspend", {}, { cookie: "flux_relay_session=1.abc" })).status).toBe(401);
    expect((await post("/dashboard/providers/flux-system/nope/suspend", {}, { cookie })).status).toBe(404);
    expect((await post("/dashboard/providers/flux-system/webhook/explode", {}, { cookie })).status).toBe(404);
  });

  it("renders providers with their state, alerts, deliveries and dead letters, escaping what events and destinations said", async () => {
    const cookie = await login();
    await until(async () => (await (await page("/", { cookie })).text()).includes('class="letter"'));
    const res = await page("/", { cookie });
    const html = await res.text();
    // Standards mode: the doctype comes first.
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const row = (name: string) => {
      const start = html.indexOf(`data-provider="flux-system/${name}" data-state=`);
      return html.slice(start, html.indexOf("</tr>", start));
    };
    expect(row("chat")).toContain('data-state="Stalled"');
    expect(row("chat")).toContain("InvalidURL");
    expect(row("pager")).toContain('data-state="Degraded"');
    expect(row("pager")).toContain("SecretNotFound");
    expect(row("pager")).toContain("SECRET__FLUX_SYSTEM__PAGER_TOKEN");
    // Its only message went to dead letters: not ready until a delivery succeeds.
    expect(row("webhook")).toContain('data-state="Degraded"');
    expect(row("webhook")).toContain("DeliveryFailed");
    expect(row("webhook")).toContain('data-action="replay"');
    expect(row("webhook")).toContain("Replay 1");
    expect(row("webhook")).toContain('title="replay 1 dead letter"');
    // The header strip links every problem to its row, in words that count right.
    const strip = html.slice(html.indexOf('<nav class="attention"'), html.indexOf("</nav>"));
    expect(strip).toContain('href="#provider-flux-system/chat"');
    expect(strip).toContain('href="#provider-flux-system/pager"');
    expect(strip).toContain('<a class="chip bad" href="#deadletters">1 dead letter</a>');
    expect(html).toContain("3 providers · ");
    expect(html).toContain("failed to get provider &#39;flux-system/gone&#39;: not found");
    expect(html).toContain('id="deliveries-table"');
    expect(html).toContain('<span class="outcome dead-lettered">dead-lettered</span>');
    // The dead letter opens on its event and its attempts, read before any replay.
    const letter = html.slice(html.indexOf('<details class="letter"'), html.indexOf("</details>"));
    expect(letter).toContain("<dd>Kustomization/flux-system/apps</dd>");
    expect(letter).toContain("dashboard dead letter");
    expect(letter).toContain('<table class="cards attempts">');
    expect(letter).toMatch(/<span class="outcome dead-lettered">dead-lettered<\/span>[\s\S]*HTTP 400: rejected/);
    // Escaped, never interpreted: the event's reason and the destination's answer.
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;");
    // The only script is the page's own file.
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script src="/dashboard.js" defer="">']);
  });

  it("filters deliveries by provider and outcome on the server, and pages through them", async () => {
    const cookie = await login();
    const dead = await (await page("/?outcome=dead-lettered", { cookie })).text();
    const rows = (html: string) => html.match(/<tr data-outcome="[^"]+"/g) ?? [];
    expect(rows(dead).length).toBeGreaterThan(0);
    expect(new Set(rows(dead))).toEqual(new Set(['<tr data-outcome="dead-lettered"']));
    expect(dead).toContain('<option value="dead-lettered" selected="">dead-lettered</option>');
    const none = await (await page("/?provider=flux-system/chat&outcome=delivered", { cookie })).text();
    expect(rows(none)).toEqual([]);
    expect(none).toContain("No delivery attempt matches this filter.");
    // Unknown values fall back to no filter rather than an error page.
    expect((await page("/?outcome=bogus&page=-3", { cookie })).status).toBe(200);
  });

  it("serves the refreshed fragment only with a session, and its script with the CSP's blessing", async () => {
    expect((await page("/dashboard/live")).status).toBe(401);
    const cookie = await login();
    const live = await page("/dashboard/live?outcome=dead-lettered", { cookie });
    expect(live.status).toBe(200);
    const html = await live.text();
    expect(html).toMatch(/^<!DOCTYPE html><div id="live">/);
    expect(html).toContain('id="providers"');
    expect(html).not.toContain("<header");
    const js = await page("/dashboard.js");
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await js.text()).toContain('fetch("/dashboard/live" + location.search');
  });

  it("lists active silences with their matchers and links them from the header strip", async () => {
    const endsAt = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const created = await admin("/silences", { method: "POST", body: JSON.stringify({ matchers: { cluster: "prod-*", kind: "HelmRelease" }, endsAt, comment: "maintenance <b>window</b>", createdBy: "ops" }) });
    expect(created.status).toBe(201);
    const { id } = await json(created);
    const cookie = await login();
    const html = await (await page("/", { cookie })).text();
    expect(html).toContain('<a class="chip warn" href="#silences">1 active silence</a>');
    const item = html.slice(html.indexOf(`<li id="silence-${id}"`), html.indexOf("</li>", html.indexOf(`<li id="silence-${id}"`)));
    expect(item).toMatch(/<code>cluster=prod-\*, kind=HelmRelease<\/code> ends in [12] h/);
    expect(item).toContain("by ops: maintenance &lt;b&gt;window&lt;/b&gt;");
    expect((await admin(`/silences/${id}`, { method: "DELETE" })).status).toBeLessThan(300);
  });

  it("buttons post to routes that call the same Durable Object methods, and report back once", async () => {
    const cookie = await login();
    const suspend = await post("/dashboard/providers/flux-system/webhook/suspend", {}, { cookie });
    expect(suspend.status).toBe(303);
    const flashCookie = cookiesOf(suspend);
    const after = await page("/", { cookie: `${cookie}; ${flashCookie}` });
    const html = await after.text();
    expect(html).toContain("flux-system/webhook suspended.");
    expect(html).toContain('data-action="resume"');
    expect(after.headers.getSetCookie().join()).toMatch(/flux_relay_flash=; Max-Age=0/);
    const status = await (await page("/api/v1/providers/flux-system/webhook", { cookie })).json() as { status: { suspended: boolean } };
    expect(status.status.suspended).toBe(true);
    expect((await post("/dashboard/providers/flux-system/webhook/resume", {}, { cookie })).status).toBe(303);

    await box.program([{ status: 200 }]);
    const test = await post("/dashboard/providers/flux-system/webhook/test", {}, { cookie });
    expect(decodeURIComponent(cookiesOf(test))).toContain("Test send to flux-system/webhook: delivered (HTTP 200)");
    const replay = await post("/dashboard/providers/flux-system/webhook/replay", {}, { cookie });
    expect(decodeURIComponent(cookiesOf(replay))).toContain("1 dead letter replayed.");
    await box.waitFor(3);
  });

  it("signs out by clearing the cookie, and serves its stylesheet without a session", async () => {
    const cookie = await login();
    const out = await post("/logout", {}, { cookie });
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie().join()).toMatch(/flux_relay_session=; Max-Age=0/);
    const css = await page("/dashboard.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
  });
});

describe("status page view model", () => {
  const now = Date.UTC(2026, 11, 3, 18, 30);
  const hour = (h: number) => Math.floor(now / 3_600_000) * 3_600_000 - h * 3_600_000;
  const view = (name: string, lastEventAt: number | null): ClusterView => ({
    name, lastEventAt, counts: { accepted: 3, duplicate: 1, unmatched: 0, invalid: 0 }, backlog: 0, lastError: null,
    hourly: [{ hour: hour(0), accepted: 2, duplicate: 1, unmatched: 0, invalid: 0 }, { hour: hour(5), accepted: 1, duplicate: 0, unmatched: 0, invalid: 0 }],
  });

  it("flags clusters silent longer than CLUSTER_SILENT_MINUTES, longest silence first", () => {
    const rows = clusterRows([view("busy", now - 60_000), view("quiet", now - 3 * 3_600_000), view("new", null), view("idle", now - 2 * 3_600_000)], now, 60);
    expect(rows.map((r) => [r.name, r.silent])).toEqual([["new", true], ["quiet", true], ["idle", true], ["busy", false]]);
    expect(relayEnv({ CLUSTER_SILENT_MINUTES: "15" } as Env).clusterSilentMs).toBe(15 * 60_000);
    for (const bad of [undefined, "", "soon", "-5", "0"]) expect(relayEnv({ CLUSTER_SILENT_MINUTES: bad } as Env).clusterSilentMs).toBe(60 * 60_000);
  });

  it("lists a silent cluster and active silences in the header strip, with their anchors and plurals", () => {
    const items = attention({
      now, canWrite: true, providers: [], alerts: [], invalid: [],
      clusters: { available: true, silentAfterMinutes: 60, items: clusterRows([view("quiet", now - 3 * 3_600_000)], now, 60) },
      deadLetters: { total: 0, items: [] },
      deliveries: { items: [], filter: { page: 1 }, hasMore: false, clusters: [], providers: [] },
      silences: [{ id: "s1", matchers: "cluster=quiet", endsAt: now + 60_000, createdBy: "ops", comment: "" }],
    });
    expect(items).toEqual([
      { severity: "warn", text: "cluster quiet silent for 3 h", href: "#cluster-quiet" },
      { severity: "warn", text: "1 active silence", href: "#silences" },
    ]);
    expect([plural(1, "provider"), plural(2, "provider"), plural(0, "delivery", "deliveries")]).toEqual(["1 provider", "2 providers", "0 deliveries"]);
  });

  it("shows stored outcomes of earlier versions in today's words", () => {
    const base = { error: null, status: 200 };
    expect(outcomeOf({ ...base, outcome: "retry" } as never).outcome).toBe("retried");
    expect(outcomeOf({ ...base, outcome: "dead-letter" } as never).outcome).toBe("dead-lettered");
    expect(outcomeOf({ ...base, outcome: "test" } as never)).toEqual({ outcome: "delivered", test: true });
    expect(outcomeOf({ error: "HTTP 500: no", status: 500, outcome: "test" } as never)).toEqual({ outcome: "failed", test: true });
    expect(outcomeOf({ ...base, outcome: "delivered" } as never).outcome).toBe("delivered");
  });

  it("draws a 24-hour sparkline as inline SVG, one bar per non-empty hour and series, scaled to the busiest hour", async () => {
    const hours = lastHours(now);
    expect(hours).toHaveLength(24);
    expect(hours[23]).toBe(hour(0));
    const ok = alignHours(hours, view("x", now).hourly, (h) => h.accepted);
    expect(ok.filter((v) => v > 0)).toEqual([1, 2]);
    const svg = String(await (Sparkline({ series: [{ class: "spark-ok", values: ok }, { class: "spark-bad", values: ok.map((v) => (v === 2 ? 1 : 0)) }], label: "3 deliveries" }) as { toString(): Promise<string> | string }).toString());
    expect(svg).toMatch(/^<svg class="spark"/);
    expect(svg).toContain('aria-label="3 deliveries"');
    expect(svg.match(/<rect class="spark-ok"/g)).toHaveLength(2);
    expect(svg.match(/<rect class="spark-bad"/g)).toHaveLength(1);
    expect(svg).not.toContain("style=");
  });
});
