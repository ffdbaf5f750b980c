// The status page's render time for 100 providers and 20 clusters on wrangler dev: part of
// `npm run bench` (bench/run.ts; `--only=statuspage` for this section), or alone with
// `npm run bench:statuspage` (no bundle-size or formatter work first).
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { CaptureBox } from "../test/support/capture-client";
import { startCaptureServer } from "../test/support/capture-server";
import { buildRelayBundle, E2E_ADMIN_TOKEN, WranglerDev } from "../test/support/wrangler-dev";
import { latency, round, type Latency } from "./load";

export const STATUS_PAGE = { providers: 100, clusters: 20, eventsPerProvider: 2, warmup: 3, samples: 20, targetP50Ms: 200 };
const NAMESPACE = "flux-system";

export interface StatusPageResult {
  providers: number;
  clusters: number;
  /** GET / with a session: the whole page, until its last byte. */
  pageMs: Latency;
  /** GET /dashboard/live: what the 15 s refresh fetches. */
  liveMs: Latency;
  pageKB: number;
}

/**
 * 100 generic providers, each routed one Kustomization, two events each from 20 clusters (every
 * provider then has history rows, hourly buckets and a latency histogram to read), one provider
 * with dead letters; then the signed-in page is fetched sequentially, after a warm-up.
 */
export async function statusPageBench(bundleDir: string, box: () => CaptureBox, step: (m: string) => void = console.log): Promise<StatusPageResult> {
  const cfg = STATUS_PAGE;
  // CONFIG_TTL_SECONDS at its production default: the e2e default (0) re-reads KV in every object on every status call.
  const relay = await WranglerDev.start({ label: "bench-statuspage", bundleDir, vars: { CONFIG_TTL_SECONDS: "30" } });
  try {
    const ok = box();
    const rejecting = box();
    await rejecting.program([{ status: 400, body: "rejected by the bench" }]);
    step(`status page: configuring ${cfg.providers} providers`);
    const names = Array.from({ length: cfg.providers }, (_, i) => `page-${String(i).padStart(3, "0")}`);
    const queue = [...names];
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        const address = name === names[0] ? rejecting.url : ok.url;
        await relay.admin(`/providers/${NAMESPACE}/${name}`, { method: "PUT", body: { apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Provider", metadata: { name, namespace: NAMESPACE }, spec: { type: "generic", address } } });
        await relay.admin(`/alerts/${NAMESPACE}/${name}`, { method: "PUT", body: { apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Alert", metadata: { name, namespace: NAMESPACE }, spec: { providerRef: { name }, eventSources: [{ kind: "Kustomization", name }] } } });
      }
    }));
    step(`status page: ${cfg.providers * cfg.eventsPerProvider} events from ${cfg.clusters} clusters`);
    const sends = names.flatMap((name, i) => Array.from({ length: cfg.eventsPerProvider }, (_, n) => ({ name, cluster: `cluster-${(i * cfg.eventsPerProvider + n) % cfg.clusters}`, n })));
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let s = sends.shift(); s; s = sends.shift()) {
        const res = await relay.hook(s.cluster, {
          involvedObject: { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: s.name, namespace: NAMESPACE },
          severity: "info", reason: "ReconciliationSucceeded", message: `status page bench ${s.name} ${s.n} ${Date.now()}`,
          metadata: {}, reportingController: "kustomize-controller", timestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        });
        if (res.status !== 202) throw new Error(`hook/${s.cluster}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }));
    const expected = (cfg.providers - 1) * cfg.eventsPerProvider;
    for (const deadline = Date.now() + 120_000; (await ok.requests()).length < expected;) {
      if (Date.now() > deadline) throw new Error(`only ${(await ok.requests()).length} of ${expected} deliveries arrived`);
      await new Promise((r) => setTimeout(r, 1000));
    }

    const login = await relay.request("/login", { method: "POST", redirect: "manual", headers: { origin: relay.url, "content-type": "application/x-www-form-urlencoded" }, body: `token=${encodeURIComponent(E2E_ADMIN_TOKEN)}` });
    const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    if (login.status !== 303 || !cookie) throw new Error(`login: ${login.status}`);
    const timed = async (pathname: string) => {
      const started = performance.now();
      const res = await relay.request(pathname, { headers: { cookie } });
      const html = await res.text();
      if (res.status !== 200 || !html.includes(`data-provider="${NAMESPACE}/${names[cfg.providers - 1]}"`)) throw new Error(`${pathname}: ${res.status}, ${html.length} bytes without the last provider`);
      return { ms: performance.now() - started, bytes: html.length };
    };
    step(`status page: ${cfg.samples} renders of / and of /dashboard/live`);
    for (let i = 0; i < cfg.warmup; i++) await timed("/");
    const page: number[] = [];
    const live: number[] = [];
    let bytes = 0;
    for (let i = 0; i < cfg.samples; i++) {
      const p = await timed("/");
      page.push(p.ms);
      bytes = p.bytes;
      live.push((await timed("/dashboard/live")).ms);
    }
    return { providers: cfg.providers, clusters: cfg.clusters, pageMs: latency(page), liveMs: latency(live), pageKB: round(bytes / 1024, 1) };
  } finally {
    await relay.dispose();
  }
}

/** The line of the benchmark table (bench/results/latest.md). */
export function statusPageMetric(r: StatusPageResult): { name: string; target: string; measured: string; pass: boolean } {
  return {
    name: `status page HTML, ${r.providers} providers and ${r.clusters} clusters (p50)`,
    target: `< ${STATUS_PAGE.targetP50Ms} ms`,
    measured: `${r.pageMs.p50} ms (p99 ${r.pageMs.p99}; ${r.pageKB} KB; refresh fragment p50 ${r.liveMs.p50} ms)`,
    pass: r.pageMs.p50 < STATUS_PAGE.targetP50Ms,
  };
}

async function standalone(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), "flux-relay-bench-statuspage-"));
  const capture = await startCaptureServer();
  try {
    const bundleDir = path.join(work, "bundle");
    console.log("building the Worker (wrangler deploy --dry-run)");
    await buildRelayBundle(bundleDir);
    const result = await statusPageBench(bundleDir, () => new CaptureBox(capture.url));
    console.log(JSON.stringify(result, null, 2));
    const m = statusPageMetric(result);
    console.log(`${m.pass ? "pass" : "MISS"}  ${m.name}: ${m.measured} (target ${m.target})`);
  } finally {
    await capture.close();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.once("SIGINT", () => process.exit(130));
  await standalone();
}
