import { spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/chromium";
import { fluxEvent, NAMESPACE, route, useCapture, useRelay } from "../support/e2e-kit";
import { E2E_ADMIN_TOKEN, ROOT } from "../support/wrangler-dev";

const SCREENSHOT = path.join(ROOT, "test/artifacts/dashboard.png");
/** A Secret value that dotenv would cut at the quote or expand at the dollar if written naively. */
const HMAC_TOKEN = "imported 'hmac' $key";

function manifests(address: string): string {
  return `# exported from the cluster with kubectl get -o yaml, then trimmed
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: imported
  namespace: ${NAMESPACE}
spec:
  type: generic-hmac
  address: ${address}
  secretRef:
    name: imported-hmac
---
apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Alert
metadata:
  name: imported
  namespace: ${NAMESPACE}
spec:
  providerRef:
    name: imported
  eventSources:
    - kind: Kustomization
      name: imported
---
apiVersion: v1
kind: Secret
metadata:
  name: imported-hmac
  namespace: ${NAMESPACE}
data:
  token: ${Buffer.from(HMAC_TOKEN).toString("base64")}
`;
}

describe("e2e: operating the relay (import)", () => {
  const capture = useCapture();
  const relay = useRelay({ label: "e2e-operations" });

  it("npm run import --local writes KV and .dev.vars that the dev instance routes with", async () => {
    const box = capture().box();
    const dir = relay().directory;
    const file = path.join(dir, "manifests.yaml");
    writeFileSync(file, manifests(box.url));
    const started = Date.now();
    const res = spawnSync(
      process.execPath,
      [
        "--experimental-transform-types", "--disable-warning=ExperimentalWarning", path.join(ROOT, "scripts/import.mjs"),
        "--local", "--config", path.join(dir, "wrangler.toml"), "--persist-to", path.join(dir, "state"), "--dev-vars", path.join(dir, "secrets.env"), file,
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 180_000, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
    );
    expect(res.status, `${res.stdout}\n${res.stderr}`).toBe(0);
    console.log(`[e2e] import --local of 3 manifests took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(res.stdout).toContain("Applied 3 item(s).");
    expect(res.stdout).not.toContain(HMAC_TOKEN);
    expect(readFileSync(path.join(dir, "secrets.env"), "utf8")).toContain("SECRET__FLUX_SYSTEM__IMPORTED_HMAC='");

    // Secrets are read when wrangler dev starts, as for a user who imports and restarts `npm run dev`.
    await relay().restart();
    const event = fluxEvent("imported", "imported", 1);
    expect(await relay().hook("prod-eu", event)).toEqual({ status: 202, body: { accepted: 1, duplicate: false } });
    const [req] = await box.waitFor(1, 30_000);
    expect(req.headers["x-signature"]).toBe(`sha256=${createHmac("sha256", HMAC_TOKEN).update(req.body).digest("hex")}`);
    const provider = await relay().admin<{ status: { conditions: { type: string; status: string }[] } }>(`/providers/${NAMESPACE}/imported`);
    expect(provider.status.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
  });
});
