// `npm run demo:send [-- --error | --fail]`: signs a sample Kustomization event exactly as a Flux
// generic-hmac Provider does (X-Signature: sha256=<HMAC of the body>), posts it to the dev
// instance as cluster "demo", and prints what the demo inbox received for this very event.
// --error sends a failure event; --fail marks it so the demo inbox answers 500 then 400
// (src/routes/demo.ts): one retry, then a dead letter on the status page.
import { createHmac, randomUUID } from "node:crypto";
import { DEV_URL, devVars } from "./dev-vars.mjs";

const CLUSTER = "demo";
const FAIL_MARK = "[demo:fail]";
const vars = devVars();
const key = clusterKey(vars.INGRESS_KEYS, CLUSTER);
const fail = process.argv.includes("--fail");
const severity = fail || process.argv.includes("--error") ? "error" : "info";
// Unique per run: the relay's dedup window would drop a second identical event, and the inbox
// entry of this run is found by it.
const nonce = `demo ${randomUUID().slice(0, 8)}`;
const event = {
  involvedObject: { kind: "Kustomization", namespace: "flux-system", name: "apps", apiVersion: "kustomize.toolkit.fluxcd.io/v1" },
  severity,
  timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  message: `${severity === "error" ? "Health check failed after 5m0s: timeout waiting for: [Deployment/apps/podinfo status: 'InProgress']" : "Reconciliation finished in 1.2s, next run in 10m0s"} (${nonce})${fail ? ` ${FAIL_MARK}` : ""}`,
  reason: severity === "error" ? "HealthCheckFailed" : "ReconciliationSucceeded",
  metadata: { "kustomize.toolkit.fluxcd.io/revision": "main@sha1:5394cb7f48332b2de7c17dd8b8384bbc84b7e738" },
  reportingController: "kustomize-controller",
  reportingInstance: "kustomize-controller-7f9c8d-abcde",
};
const body = JSON.stringify(event);
const sentAt = Date.now();
const signature = `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
const res = await fetch(`${DEV_URL}/hook/${CLUSTER}`, { method: "POST", headers: { "content-type": "application/json", "x-signature": signature }, body });
console.log(`POST ${DEV_URL}/hook/${CLUSTER} -> ${res.status} ${await res.text()}`);
if (!res.ok) process.exit(1);

const ours = (entry) => typeof entry?.body?.message === "string" && entry.body.message.includes(nonce);
// A marked event is answered 500, retried after the 2 s minimum backoff, then answered 400.
const entries = await poll(async () => {
  const found = (await (await fetch(`${DEV_URL}/demo/inbox`)).json()).filter(ours).reverse();
  return found.length >= (fail ? 2 : 1) ? found : undefined;
}, fail ? 30_000 : 10_000);
if (!entries) {
  console.log(`the demo inbox has not received this event (${nonce}) yet: see the status page at ${DEV_URL}/`);
  process.exit(1);
}
for (const [i, entry] of entries.entries()) {
  console.log(`delivery ${i + 1} of this event in the demo inbox (answered ${entry.answered ?? 200}):`);
  console.log(JSON.stringify(entry, null, 2));
}
if (fail) {
  const admin = { authorization: `Bearer ${vars.ADMIN_TOKEN}` };
  const dead = await poll(async () => {
    const { items } = await (await fetch(`${DEV_URL}/api/v1/providers/flux-system/demo-inbox/deadletters?limit=1000`, { headers: admin })).json();
    // Dead letters list the event only by summary until their detail is fetched: the newest since this send.
    return items.filter((d) => JSON.stringify(d).includes(nonce) || d.failedAt >= sentAt).at(-1);
  }, 10_000);
  console.log(dead ? `dead letter ${dead.id}: ${dead.reason}` : "no dead letter yet");
  console.log(`replay or discard it on the status page: ${DEV_URL}/#deadletters`);
}

/** The key this cluster signs with: INGRESS_KEYS is one key, or JSON {cluster|"*": key | [old, new]}. */
function clusterKey(raw, cluster) {
  const text = (raw ?? "").trim();
  if (!text.startsWith("{")) return text;
  const keys = JSON.parse(text);
  const value = keys[cluster] ?? keys["*"];
  if (value === undefined) throw new Error(`INGRESS_KEYS in .dev.vars has no key for cluster "${cluster}" nor "*"`);
  // During a rotation the new key is listed last.
  return Array.isArray(value) ? value[value.length - 1] : value;
}

async function poll(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 250));
  }
}
