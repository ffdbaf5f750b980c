import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { admin, captureBox, clearConfig, json, putProvider, sendSigned, waitUntil } from "../support/workers";

// The status page's silence actions (src/routes/dashboard-silences.tsx): silence a failing object
// from its dead-letter row, prefilled, and expire an active silence.

const ORIGIN = "http://relay";

function page(path: string, init: RequestInit & { cookie?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set("cookie", init.cookie);
  return exports.default.fetch(`${ORIGIN}${path}`, { ...init, headers, redirect: "manual" });
}

function post(path: string, form: Record<string, string>, cookie: string, origin: string | null = ORIGIN): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (origin !== null) headers.origin = origin;
  return page(path, { method: "POST", headers, body: new URLSearchParams(form).toString(), cookie });
}

const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");

async function login(): Promise<string> {
  const res = await post("/login", { token: "test-admin-token" }, "");
  expect(res.status).toBe(303);
  return cookiesOf(res);
}

/** The page after an action, with the action's flash message. */
async function after(res: Response, cookie: string): Promise<string> {
  expect(res.status).toBe(303);
  return (await page("/", { cookie: `${cookie}; ${cookiesOf(res)}` })).text();
}

async function silences(): Promise<{ id: string; matchers: Record<string, string>; comment: string; status: { state: string } }[]> {
  return (await json(await admin("/silences"))).items;
}

describe("status page silences", () => {
  beforeEach(async () => {
    await clearConfig();
    const { keys } = await env.CONFIG.list({ prefix: "silences/" });
    await Promise.all(keys.map((k) => env.CONFIG.delete(k.name)));
  });

  it("silences a dead-lettered object from its row with the matchers prefilled, then expires the silence", async () => {
    const box = captureBox();
    await box.program([{ status: 404 }]);
    await putProvider("broken", { type: "generic", address: box.url });
    await env.CONFIG.put("alerts/flux-system/broken", JSON.stringify({
      apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
      kind: "Alert",
      metadata: { name: "broken", namespace: "flux-system" },
      spec: { providerRef: { name: "broken" }, eventSources: [{ kind: "HelmRelease", name: "*", namespace: "apps" }] },
    }));
    const event = {
      involvedObject: { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "web", namespace: "apps" },
      severity: "error", reason: "UpgradeFailed", message: "Helm upgrade failed", metadata: {}, reportingController: "helm-controller",
    };
    expect((await sendSigned(event, { cluster: "prod-eu" })).status).toBe(202);
    await waitUntil(async () => ((await json(await admin("/providers/flux-system/broken/deadletters"))).items.length > 0 ? true : undefined));

    const cookie = await login();
    const html = await (await page("/", { cookie })).text();
    for (const [field, value] of [["cluster", "prod-eu"], ["kind", "HelmRelease"], ["namespace", "apps"], ["name", "web"]]) {
      expect(html).toContain(`<input name="${field}" value="${value}"`);
    }

    const created = await after(await post("/dashboard/silences", { cluster: "prod-eu", kind: "HelmRelease", namespace: "apps", name: "web", message: "", hours: "4", comment: "fixing the chart" }, cookie), cookie);
    expect(created).toMatch(/Silence [0-9a-f-]{36} created \(cluster=prod-eu, namespace=apps, kind=HelmRelease, name=web\)/);
    const [silence] = await silences();
    expect(silence).toMatchObject({ matchers: { cluster: "prod-eu", kind: "HelmRelease", namespace: "apps", name: "web" }, comment: "fixing the chart", status: { state: "active" } });
    expect(created).toContain(`data-silence="${silence.id}"`);
    expect(created).toContain(`action="/dashboard/silences/${silence.id}/expire"`);

    const expired = await after(await post(`/dashboard/silences/${silence.id}/expire`, {}, cookie), cookie);
    expect(expired).toContain(`Silence ${silence.id} expired.`);
    expect((await silences())[0].status.state).toBe("expired");
  });

  it("says what is wrong with a form the silences API refuses, and stores nothing", async () => {
    const cookie = await login();
    const html = await after(await post("/dashboard/silences", { name: "web", hours: "2", comment: "" }, cookie), cookie);
    expect(html).toContain("Silence not created: invalid silence; comment: is required");
    expect(await silences()).toEqual([]);
  });

  it("refuses a silence form from another origin or without a session", async () => {
    const cookie = await login();
    expect((await post("/dashboard/silences", { name: "web", hours: "2", comment: "x" }, cookie, "https://evil.example")).status).toBe(403);
    expect((await post("/dashboard/silences", { name: "web", hours: "2", comment: "x" }, "")).status).toBe(401);
    expect(await silences()).toEqual([]);
  });
});
