import { mkdirSync } from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/chromium";
import { fluxEvent, NAMESPACE, route, useCapture, useRelay } from "../support/e2e-kit";
import { E2E_ADMIN_TOKEN, ROOT, sleep } from "../support/wrangler-dev";

/** Committed (see .gitignore) and shown in docs/operations.md. */
const SHOTS = path.join(ROOT, "test/artifacts/statuspage");
const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** Nothing wider than the window: no sideways scrolling. */
const overflow = (page: Page) => page.evaluate("({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })") as Promise<{ scrollWidth: number; innerWidth: number }>;

/** Standards mode, not quirks mode (which a page without a doctype gets). */
const compatMode = (page: Page) => page.evaluate("document.compatMode");

/** An attribute of every element the locator matches, in document order. */
const attributes = async (locator: ReturnType<Page["locator"]>, name: string) => Promise.all((await locator.all()).map((l) => l.getAttribute(name)));

describe("e2e: the status page in headless Chromium (1366x900 and 390x844)", () => {
  const capture = useCapture();
  // 9 s: a cluster that sent one event at the start of the first test is silent when the page loads.
  const SILENT_MS = 9_000;
  const relay = useRelay({ label: "e2e-statuspage", vars: { CLUSTER_SILENT_MINUTES: String(SILENT_MS / 60_000) } });
  let browser: BrowserContext;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Installs Debian's chromium first when the machine has none (minutes on a fresh machine).
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => browser?.close());

  it("logs in, shows a failing provider first in the overview, opens a dead letter and replays it", async () => {
    const quietSince = Date.now();
    expect((await relay().hook("quiet-eu", fluxEvent("nobody-listens", "quiet", 1))).status).toBe(202);
    const steady = capture().box();
    const flaky = capture().box();
    const rejecting = capture().box();
    // flaky keeps failing (retried, Degraded); rejecting answers 400 twice: two dead letters at once.
    await flaky.program([{ status: 500, body: "receiver exploded" }]);
    await rejecting.program([{ status: 400, body: "payload rejected", times: 2 }, { status: 200 }]);
    await route(relay(), "steady-webhook", { type: "generic", address: steady.url });
    await route(relay(), "flaky-webhook", { type: "generic", address: flaky.url });
    await route(relay(), "rejecting-webhook", { type: "generic", address: rejecting.url });
    await route(relay(), "team-chat", { type: "slack", address: "hooks.slack.example/not-a-url" });
    for (let i = 1; i <= 3; i++) expect((await relay().hook("prod-eu", fluxEvent("steady-webhook", "steady", i))).status).toBe(202);
    expect((await relay().hook("prod-eu", fluxEvent("flaky-webhook", "flaky", 1, "error"))).status).toBe(202);
    for (let i = 1; i <= 2; i++) expect((await relay().hook("staging", fluxEvent("rejecting-webhook", "rejecting", i, "error"))).status).toBe(202);
    await steady.waitFor(3, 30_000);
    await flaky.waitFor(2, 30_000);
    await expect.poll(async () => (await relay().admin<{ items: unknown[] }>(`/providers/${NAMESPACE}/rejecting-webhook/deadletters`)).items.length, { timeout: 20_000 }).toBe(2);
    const ready = async (name: string) => (await relay().admin<{ status: { conditions: { type: string; status: string }[] } }>(`/providers/${NAMESPACE}/${name}`)).status.conditions.find((c) => c.type === "Ready")?.status;
    await expect.poll(() => ready("flaky-webhook"), { timeout: 20_000 }).toBe("False");

    // The other clusters speak again just before the page loads; quiet-eu stays silent.
    await sleep(Math.max(0, quietSince + SILENT_MS + 500 - Date.now()));
    for (const cluster of ["prod-eu", "staging"]) expect((await relay().hook(cluster, fluxEvent("nobody-listens", "fresh", 1))).status).toBe(202);

    const page = await browser.newPage();
    await page.setViewportSize(DESKTOP);
    await page.goto(relay().url);
    expect(await compatMode(page)).toBe("CSS1Compat");
    expect(await page.locator("table").count()).toBe(0);
    await shot(page, "login-1366");
    await page.fill("#token", E2E_ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${relay().url}/`), page.click("button[type=submit]")]);
    expect(await compatMode(page)).toBe("CSS1Compat");

    // The header strip names what needs attention and links to its row.
    const strip = page.locator("nav.attention");
    expect(await strip.innerText()).toContain(`${NAMESPACE}/flaky-webhook: Degraded (DeliveryFailed)`);
    expect(await strip.innerText()).toContain(`${NAMESPACE}/team-chat: Stalled (InvalidURL)`);
    expect(await strip.locator('a[href="#deadletters"]').innerText()).toBe("2 dead letters");
    // The silent cluster is flagged in the strip and in its row, the others are not.
    expect(await strip.locator('a[href="#cluster-quiet-eu"]').innerText()).toMatch(/^cluster quiet-eu silent for \d+ s$/);
    expect(await page.locator("#clusters tr.silent").count()).toBe(1);
    expect(await page.locator('#clusters tr[data-cluster="quiet-eu"] .badge').innerText()).toBe("Silent");
    // prod-eu: 3 events for steady-webhook and 1 for flaky-webhook accepted, the fresh one unmatched.
    expect(await page.locator('#clusters tr[data-cluster="prod-eu"] td[data-label="Accepted"]').innerText()).toBe("4");
    expect(await page.locator('#clusters tr[data-cluster="prod-eu"] td[data-label="Unmatched"]').innerText()).toBe("1");
    expect(await page.locator('#clusters tr[data-cluster="prod-eu"] svg.spark rect').count()).toBeGreaterThan(0);
    const flakyRow = page.locator(`#providers tr[data-provider="${NAMESPACE}/flaky-webhook"]`);
    expect(await flakyRow.locator("td.state").innerText()).toMatch(/^Degraded\s+DeliveryFailed[\s\S]*HTTP 500: receiver exploded/);
    expect(await flakyRow.locator("td[data-label=Queue]").innerText()).toMatch(/^1\s+next try/);
    expect(await page.locator(`#providers tr[data-provider="${NAMESPACE}/team-chat"] td.state`).innerText()).toMatch(/^Stalled\s+InvalidURL/);
    expect(await page.locator(`#providers tr[data-provider="${NAMESPACE}/steady-webhook"] td.state`).innerText()).toMatch(/^Ready\s+Succeeded/);
    // Problems first: the broken providers are the first rows.
    const order = await attributes(page.locator("#providers tbody tr"), "data-state");
    expect(order.slice(0, 2)).toEqual(["Stalled", "Degraded"]);
    await strip.locator(`a[href="#provider-${NAMESPACE}/flaky-webhook"]`).first().click();
    expect(await page.evaluate("location.hash")).toBe(`#provider-${NAMESPACE}/flaky-webhook`);

    // The deliveries list uses the outcome words of docs/operations.md.
    const outcomes = await attributes(page.locator("#deliveries-table tbody tr"), "data-outcome");
    expect(outcomes).toEqual(expect.arrayContaining(["delivered", "retried", "dead-lettered"]));

    // "Replay 1" stays inside its cell at 1366 px, and nothing scrolls sideways.
    const rejectingRow = page.locator(`#providers tr[data-provider="${NAMESPACE}/rejecting-webhook"]`);
    const replay = rejectingRow.locator('button[data-action="replay"]');
    expect(await replay.innerText()).toBe("Replay 2");
    expect(await replay.getAttribute("title")).toBe("replay 2 dead letters");
    const [button, cell] = await Promise.all([replay.boundingBox(), rejectingRow.locator("td.actions").boundingBox()]);
    expect(button!.x + button!.width).toBeLessThanOrEqual(cell!.x + cell!.width + 0.5);
    const wide = await overflow(page);
    expect(wide.scrollWidth).toBeLessThanOrEqual(wide.innerWidth);
    await page.evaluate("window.scrollTo(0, 0)");
    await shot(page, "overview-1366");

    // The dead letter opens in place, showing the event and why it failed.
    const letter = page.locator(`#deadletters details.letter[data-provider="${NAMESPACE}/rejecting-webhook"]`).first();
    await letter.locator(":scope > summary").click();
    const detail = await letter.innerText();
    expect(detail).toContain("HTTP 400: payload rejected");
    expect(detail).toMatch(new RegExp(`Alert\\s+${NAMESPACE}/rejecting-webhook`));
    await letter.scrollIntoViewIfNeeded();
    await letter.screenshot({ path: path.join(SHOTS, "deadletter-1366.png") });

    await Promise.all([page.waitForURL(`${relay().url}/`), letter.locator('button[data-action="replay"]').click()]);
    await expect.poll(() => page.locator(".flash").innerText()).toBe(`${NAMESPACE}/rejecting-webhook: 1 dead letter replayed.`);
    const received = await rejecting.waitFor(3, 30_000);
    expect(received[2].body).toMatch(/e2e:rejecting:[12]/);
    expect(await page.locator("#deadletters details.letter").count()).toBe(1);
    await page.close();
  });

  it("refreshes in place every 15 s without a reload, and can be paused", async () => {
    const page = await browser.newPage();
    await page.clock.install();
    await page.setViewportSize(DESKTOP);
    await page.goto(relay().url);
    await page.evaluate("window.notReloaded = true");
    const toggle = page.locator("#refresh-toggle");
    expect(await toggle.isVisible()).toBe(true);
    expect(await toggle.innerText()).toBe("Pause refresh");
    const fetched = page.waitForResponse((r) => new URL(r.url()).pathname === "/dashboard/live");
    await page.clock.runFor(15_500);
    expect((await fetched).status()).toBe(200);
    await expect.poll(() => page.locator("#refresh-state").innerText()).toMatch(/^updated /);
    expect(await page.evaluate("window.notReloaded")).toBe(true);
    expect(await page.locator("#live #providers").count()).toBe(1);

    await toggle.click();
    expect(await toggle.innerText()).toBe("Resume refresh");
    let calls = 0;
    page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/dashboard/live") calls++;
    });
    await page.clock.runFor(31_000);
    expect(calls).toBe(0);
    await toggle.click();
    await page.close();
  });

  it("fits a phone (390 px) without sideways scrolling, in light and dark schemes", async () => {
    const page = await browser.newPage();
    await page.setViewportSize(PHONE);
    await page.goto(relay().url);
    expect(await compatMode(page)).toBe("CSS1Compat");
    await page.locator("#providers").waitFor();
    const narrow = await overflow(page);
    expect(narrow.scrollWidth).toBeLessThanOrEqual(narrow.innerWidth);
    // A phone page is long: one screen each of the overview, the dead letters and the deliveries.
    await page.screenshot({ path: path.join(SHOTS, "overview-390.png") });
    await page.locator("#deadletters").scrollIntoViewIfNeeded();
    await page.locator("#deadletters details.letter > summary").first().click();
    await page.evaluate("document.getElementById('deadletters').scrollIntoView()");
    await page.screenshot({ path: path.join(SHOTS, "deadletters-390.png") });
    await page.evaluate("document.getElementById('deliveries').scrollIntoView()");
    await page.screenshot({ path: path.join(SHOTS, "deliveries-390.png") });
    await page.emulateMedia({ colorScheme: "dark" });
    expect(await page.evaluate("getComputedStyle(document.body).backgroundColor")).toBe("rgb(15, 19, 26)");
    await page.evaluate("window.scrollTo(0, 0)");
    await page.screenshot({ path: path.join(SHOTS, "overview-390-dark.png") });
    await page.setViewportSize(DESKTOP);
    await shot(page, "overview-1366-dark");
    await page.close();
  });
});
