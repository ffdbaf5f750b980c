import { mkdirSync } from "node:fs";
import path from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/chromium";
import { NAMESPACE, useCapture, useRelay } from "../support/e2e-kit";
import { E2E_ADMIN_TOKEN, ROOT } from "../support/wrangler-dev";

const SCREENSHOT = path.join(ROOT, "test/artifacts/alert-preview.png");

describe("e2e: the Alert detail view previews templates live (headless Chromium)", () => {
  const capture = useCapture();
  const relay = useRelay({ label: "e2e-templates" });
  let browser: BrowserContext;

  beforeAll(async () => {
    // Installs Debian's chromium first when the machine has none (minutes on a fresh machine).
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => browser?.close());

  it("shows the template, edits the sample event and template, and previews the request without sending it", async () => {
    const box = capture().box();
    await relay().admin(`/providers/${NAMESPACE}/team-chat`, {
      method: "PUT",
      body: { apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Provider", metadata: { name: "team-chat", namespace: NAMESPACE }, spec: { type: "slack", address: box.url, channel: "ops" } },
    });
    await relay().admin(`/alerts/${NAMESPACE}/apps-to-chat`, {
      method: "PUT",
      body: {
        apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
        kind: "Alert",
        metadata: {
          name: "apps-to-chat",
          namespace: NAMESPACE,
          annotations: {
            "flux-relay.fluxcd.io/template": "[{{ .Cluster }}] {{ .InvolvedObject.Name }}: {{ .Message | trunc 60 }}",
            "flux-relay.fluxcd.io/title-template": "{{ .InvolvedObject.Kind }} {{ .InvolvedObject.Name }} is {{ if eq .Severity \"error\" }}failing{{ else }}fine{{ end }}",
          },
        },
        spec: { providerRef: { name: "team-chat" }, eventSources: [{ kind: "Kustomization", name: "apps" }] },
      },
    });

    const page = await browser.newPage();
    await page.goto(relay().url);
    await page.fill("#token", E2E_ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${relay().url}/`), page.click("button[type=submit]")]);
    // The Alerts table links each Alert to its detail view.
    await Promise.all([
      page.waitForURL(`${relay().url}/dashboard/alerts/${NAMESPACE}/apps-to-chat`),
      page.click(`#alerts tr[data-alert="${NAMESPACE}/apps-to-chat"] a`),
    ]);

    // The Alert's own template and a sample error event, previewed server-side on load.
    expect(await page.inputValue("#template")).toContain("{{ .InvolvedObject.Name }}");
    const preview = page.locator("#preview-result");
    await expect.poll(() => preview.locator(".rendered-title").first().innerText()).toBe("Kustomization apps is failing");
    expect(await preview.locator(".request-line").first().innerText()).toBe(`POST ${box.url}`);

    // Live: editing the cluster and the template re-renders the preview through /dashboard/alert-preview.js.
    await page.fill("#cluster", "prod-eu");
    await page.fill("#template", "{{ .Cluster | upper }} {{ .Reason }} at {{ .Revision | trunc 16 }}");
    await expect.poll(() => preview.locator(".rendered-message").first().innerText()).toBe("PROD-EU ReconciliationFailed at main@sha1:012345");
    expect(await preview.locator(".request-body").first().innerText()).toContain('"text": "PROD-EU ReconciliationFailed at main@sha1:012345"');

    // A template error is shown, with its position, and the preview falls back to Flux's message.
    await page.fill("#template", "{{ .Message | nosuch }}");
    await expect.poll(() => preview.locator(".template-error").first().innerText()).toMatch(/template: 1:\d+: function "nosuch" not defined/);

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.fill("#template", "{{ .Cluster }}: {{ .InvolvedObject.Kind }}/{{ .InvolvedObject.Name }} {{ .Reason }}");
    await expect.poll(() => preview.locator(".rendered-message").first().innerText()).toBe("prod-eu: Kustomization/apps ReconciliationFailed");
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();

    // Nothing was sent, and the stored Alert still has its own template (the editor only previews).
    expect(await box.requests()).toEqual([]);
    const alert = await relay().admin<{ metadata: { annotations: Record<string, string> } }>(`/alerts/${NAMESPACE}/apps-to-chat`);
    expect(alert.metadata.annotations["flux-relay.fluxcd.io/template"]).toContain("trunc 60");
  });
});
