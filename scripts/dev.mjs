// `npm run dev`: wrangler dev with local KV/Durable Object persistence, seeded with a demo
// Provider and Alert that deliver to the built-in demo inbox (DEMO_INBOX=true only here).
import { spawn } from "node:child_process";
import { DEV_PORT, DEV_URL, devVars } from "./dev-vars.mjs";

const vars = devVars();
const wrangler = spawn(
  "wrangler",
  ["dev", "--ip", "127.0.0.1", "--port", String(DEV_PORT), "--persist-to", ".wrangler/state", "--var", "DEMO_INBOX:true", "--var", `PUBLIC_URL:${DEV_URL}`],
  { stdio: "inherit" },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code) => process.exit(code ?? 0));

const provider = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: demo-inbox
  namespace: flux-system
spec:
  type: generic
  address: ${DEV_URL}/demo/inbox
`;
const alert = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: demo
  namespace: flux-system
spec:
  providerRef:
    name: demo-inbox
  eventSources:
    - kind: Kustomization
      name: '*'
    - kind: HelmRelease
      name: '*'
`;

await waitForHealth();
for (const [path, body] of [["providers/flux-system/demo-inbox", provider], ["alerts/flux-system/demo", alert]]) {
  const res = await fetch(`${DEV_URL}/api/v1/${path}`, { method: "PUT", headers: { authorization: `Bearer ${vars.ADMIN_TOKEN}` }, body });
  if (!res.ok) console.error(`seeding ${path} failed: ${res.status} ${await res.text()}`);
}
console.log(`\nflux-relay is running at ${DEV_URL}
  demo Provider flux-system/demo-inbox -> ${DEV_URL}/demo/inbox, Alert flux-system/demo
  send a signed Kustomization event:  npm run demo:send
  see what the inbox received:        curl ${DEV_URL}/demo/inbox
  status page:                        ${DEV_URL}/  (admin token: ADMIN_TOKEN in .dev.vars)\n`);

async function waitForHealth() {
  for (let i = 0; i < 240; i++) {
    try {
      const res = await fetch(`${DEV_URL}/healthz`);
      if (res.status < 500 || res.status === 503) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev did not answer on ${DEV_URL} within 120 s`);
}
