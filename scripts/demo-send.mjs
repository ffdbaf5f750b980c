// `npm run demo:send`: signs a sample Kustomization event exactly as a Flux generic-hmac
// Provider does (X-Signature: sha256=<HMAC of the body>) and posts it to the dev instance.
import { createHmac } from "node:crypto";
import { DEV_URL, devVars } from "./dev-vars.mjs";

const key = devVars().INGRESS_KEYS;
const severity = process.argv.includes("--error") ? "error" : "info";
const event = {
  involvedObject: { kind: "Kustomization", namespace: "flux-system", name: "apps", apiVersion: "kustomize.toolkit.fluxcd.io/v1" },
  severity,
  timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  message: severity === "error" ? "Health check failed after 5m0s: timeout waiting for: [Deployment/apps/podinfo status: 'InProgress']" : `Reconciliation finished in 1.2s, next run in 10m0s (demo ${Date.now()})`,
  reason: severity === "error" ? "HealthCheckFailed" : "ReconciliationSucceeded",
  metadata: { "kustomize.toolkit.fluxcd.io/revision": "main@sha1:5394cb7f48332b2de7c17dd8b8384bbc84b7e738" },
  reportingController: "kustomize-controller",
  reportingInstance: "kustomize-controller-7f9c8d-abcde",
};
const body = JSON.stringify(event);
const signature = `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
const res = await fetch(`${DEV_URL}/hook/demo`, { method: "POST", headers: { "content-type": "application/json", "x-signature": signature }, body });
console.log(`POST ${DEV_URL}/hook/demo -> ${res.status} ${await res.text()}`);
await new Promise((r) => setTimeout(r, 1000));
const inbox = await (await fetch(`${DEV_URL}/demo/inbox`)).json();
console.log("latest delivery in the demo inbox:");
console.log(JSON.stringify(inbox[0] ?? null, null, 2));
