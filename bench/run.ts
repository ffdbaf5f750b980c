// `npm run bench`: ingress, fan-out, drain, formatting and bundle-size numbers of this machine,
// written to bench/results/latest.{json,md}. Local mode only: wrangler dev, a capture server and
// autocannon on 127.0.0.1, every load bounded by a request count and every wait by a deadline.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { CaptureBox } from "../test/support/capture-client";
import type { CapturedRequest } from "../test/support/capture-server";
import { startCaptureServer } from "../test/support/capture-server";
import { E2E_INGRESS_KEY, ROOT, sleep, WranglerDev } from "../test/support/wrangler-dev";
import { BenchWorker } from "./bench-worker";
import { formatterCases } from "./formatter-cases";
import { profileWorker, summarizeProfile, type CpuProfile } from "./inspector";
import { combine, latency, load, round, sign, type Latency, type LoadResult } from "./load";
import { statusPageBench, statusPageMetric } from "./statuspage";

const PROFILE = process.argv.includes("--profile");
/**
 * `--noise` puts `flux-relay.fluxcd.io/notify: changes` on every Alert (docs/noise-control.md) and
 * writes noise.*, to compare with latest.*. Its events are errors, each from an object of its own
 * (a namespace per event, selected by `namespace: '*'`): every one is its object's first failure,
 * so noise control reads and writes a state row for each delivery and still delivers them all,
 * the costliest case for the intake with the same deliveries to drain.
 */
const NOISE = process.argv.includes("--noise");
const SECTIONS = ["ingress", "fanout", "drain", "latency", "formatters", "statuspage"] as const;
type Section = (typeof SECTIONS)[number];
/**
 * `--only=ingress,fanout,latency` runs just those sections (the relay ones still start one
 * wrangler dev) and prints their numbers without touching bench/results; a full run writes them.
 */
const ONLY = (() => {
  const arg = process.argv.find((a) => a.startsWith("--only="));
  if (!arg) return undefined;
  const picked = arg.slice("--only=".length).split(",");
  const unknown = picked.filter((p) => !(SECTIONS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`--only: unknown sections ${unknown.join(", ")} (known: ${SECTIONS.join(", ")})`);
  return new Set(picked as Section[]);
})();
const runs = (section: Section) => !ONLY || ONLY.has(section);
/** A profiled run's timings carry the profiler's overhead: it writes profile.* and leaves latest.* alone. */
const OUT = PROFILE ? "profile" : NOISE ? "noise" : "latest";
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const RESULTS = path.join(ROOT, "bench/results");
const PROFILES = path.join(ROOT, "test/artifacts/bench");
const NAMESPACE = "flux-system";
const REVISION = "main@sha1:5394cb7f48332b2de7c17dd8b8384bbc84b7e738";
/** Distinguishes this run's events, so nothing is ever taken for a duplicate of an earlier run. */
const NONCE = Date.now().toString(36);

/**
 * The bare Worker, the durable floor and the relay run side by side and take the load in turns,
 * `rounds` slices of `amount / rounds` requests each: this 2-core VM's speed drifts by 10-30 %
 * within minutes, which measuring them one after the other put into the ratios.
 */
const INGRESS = { connections: 32, amount: 6000, warmup: 500, rounds: 6 };
const FANOUT = { sizes: [1, 10, 100], amount: 150, warmup: 20 };
const DRAIN = { amount: 2000, connections: 32, holdMs: 10_000, deadlineMs: 120_000 };
/** Well under what the ingress sustains here, so the figure is delivery latency, not an ingress queue. */
const E2E_LATENCY = { rate: 20, amount: 300, warmup: 10, maxInFlight: 64, deadlineMs: 60_000 };
/** Functions whose share of the Worker isolate's CPU `--profile` reports. */
const PROFILE_WATCH = [
  "ingest", "readCapped", "verifyIngress", "parseFluxEvent", "prepareEvent", "routeEvent", "loadConfig", "intake", "forward",
  "enqueue", "transactionSync", "setAlarm", "alarm", "deliverHead", "sendRequest", "exec", "log", "(program)", "(garbage collector)",
];
/** A destination answer that parks a provider's outbox for the rest of the run. */
const PARK = [{ status: 503, headers: { "retry-after": "3600" } }];

const TARGETS = {
  ingressRatio: 0.6,
  fanoutRatio: 1.5,
  drainPerSecond: 500,
  drainP99Ms: 50,
  formatUs: 50,
  bundleGzipKB: 150,
};

interface Metric {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

function step(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** A controller-shaped Kustomization event, unique by `tag`, about the size Flux sends. */
function eventBody(object: string, tag: string): string {
  const namespace = NOISE ? `noise-${tag.replace(/[^a-z0-9]+/g, "-")}` : NAMESPACE;
  return JSON.stringify({
    involvedObject: { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: object, namespace, uid: "2f6a1c3e-7b8d-4e5f-9a0b-1c2d3e4f5a6b" },
    severity: NOISE ? "error" : "info",
    timestamp: "2026-01-15T10:20:30Z",
    message: `${NOISE ? "Health check failed after 1.2s" : "Reconciliation finished in 1.2s, next run in 10m0s"} (bench ${NONCE}:${tag})`,
    reason: NOISE ? "HealthCheckFailed" : "ReconciliationSucceeded",
    metadata: { "kustomize.toolkit.fluxcd.io/revision": REVISION },
    reportingController: "kustomize-controller",
    reportingInstance: "kustomize-controller-7f9c8d-abcde",
  });
}

const TAG = new RegExp(`\\(bench ${NONCE}:([a-z0-9-]+):(\\d+)\\)`);

function hookLoad(url: string, object: string, stream: string, connections: number, amount: number, samples?: number[]): Promise<LoadResult> {
  return load({ url, path: "/hook/bench", connections, amount, key: E2E_INGRESS_KEY, body: (i) => eventBody(object, `${stream}:${i}`), samples });
}

type IngressWorker = "bare" | "floor" | "relay";
/** The bare and floor Workers, started before the relay and stopped after the ingress rounds. */
type IngressPeers = { bare: string; floor: string; stop: () => Promise<void> };

/**
 * INGRESS.rounds rounds, each a slice of the load to every Worker in turn; per Worker the slices
 * combined, and per round the relay's and the floor's rate over the bare Worker's.
 */
async function interleavedIngress(urls: Record<IngressWorker, string>) {
  const workers = Object.keys(urls) as IngressWorker[];
  const slices = Object.fromEntries(workers.map((w) => [w, [] as LoadResult[]])) as Record<IngressWorker, LoadResult[]>;
  const samples = Object.fromEntries(workers.map((w) => [w, [] as number[]])) as Record<IngressWorker, number[]>;
  for (const w of workers) await hookLoad(urls[w], "bench-ingress", `${w}-warmup`, INGRESS.connections, INGRESS.warmup);
  for (let r = 0; r < INGRESS.rounds; r++) {
    for (const w of workers) {
      slices[w].push(await hookLoad(urls[w], "bench-ingress", `${w}-${r}`, INGRESS.connections, INGRESS.amount / INGRESS.rounds, samples[w]));
      // The relay forwards its last events after answering: not into the next Worker's slice.
      if (w === "relay") await sleep(500);
    }
  }
  const perRound = slices.relay.map((relay, r) => ({ relay: round(relay.rps / slices.bare[r].rps), floor: round(slices.floor[r].rps / slices.bare[r].rps) }));
  return { ...Object.fromEntries(workers.map((w) => [w, combine(slices[w], samples[w])])), perRound } as Record<IngressWorker, LoadResult> & { perRound: { relay: number; floor: number }[] };
}

async function machine() {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  const version = async (pkg: string) => JSON.parse(await readFile(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version as string;
  // wrangler may carry its own workerd, newer than the one the vitest plugin uses.
  const workerd = await version("wrangler/node_modules/workerd").catch(() => version("workerd"));
  return {
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1].trim() ?? os.cpus()[0]?.model ?? "unknown",
    cores: os.availableParallelism(),
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    wrangler: await version("wrangler"),
    workerd,
    loadAverageAtStart: os.loadavg().map((v) => round(v)),
  };
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Formatting (Node, then the same cases in workerd for the formatters that use WebCrypto)

interface FormatterResult {
  type: string;
  source: string;
  cases: number;
  iterations: number;
  medianUs: number;
  minUs: number;
  maxUs: number;
  workerdUs?: number;
  /** Set instead of the timings when the type refused its synthetic case. */
  error?: string;
}

/** Rendering an Alert's templates plus formatting (bench/formatters.ts `--templates` runs only these). */
interface TemplatedResult {
  case: string;
  type: string;
  cases: number;
  medianUs: number;
  minUs: number;
  maxUs: number;
}

async function nodeFormatters(): Promise<{ results: FormatterResult[]; templated: TemplatedResult[] }> {
  const profile = PROFILE ? ["--cpu-prof", "--cpu-prof-dir", PROFILES] : [];
  const res = await run(process.execPath, ["--experimental-transform-types", "--no-warnings", "--import", "./bench/ts-hooks.mjs", ...profile, "bench/formatters.ts"], 300_000);
  if (res.code !== 0) throw new Error(`formatter benchmark failed (${res.code}):\n${res.stderr}`);
  return JSON.parse(res.stdout) as { results: FormatterResult[]; templated: TemplatedResult[] };
}

/**
 * Per-event time inside workerd: a request running the formatter n times, minus one running it
 * zero times (best of three each, after a warm-up request), divided by n.
 */
async function workerdFormatters(results: FormatterResult[]): Promise<void> {
  const worker = await BenchWorker.start("format", "bench/format-worker.ts");
  try {
    for (const r of results.filter((f) => !f.error)) {
      const body = JSON.stringify(formatterCases(r.type as never).list);
      const n = Math.min(20_000, Math.max(200, Math.round(100_000 / Math.max(r.medianUs, 1))));
      const timed = async (count: number) => {
        const t0 = performance.now();
        const res = await fetch(`${worker.url}/?type=${r.type}&n=${count}`, { method: "POST", body, signal: AbortSignal.timeout(60_000) });
        await res.text();
        if (res.status !== 200) throw new Error(`format worker: ${r.type} answered ${res.status}`);
        return performance.now() - t0;
      };
      await timed(n);
      const best = async (count: number) => Math.min(await timed(count), await timed(count), await timed(count));
      const empty = await best(0);
      r.workerdUs = round(Math.max(0, ((await best(n)) - empty) * 1000) / n);
    }
  } finally {
    await worker.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Bundle

/** `wrangler deploy --dry-run` into `outDir`; returns wrangler's output. */
async function build(outDir: string, extra: string[] = []): Promise<string> {
  const res = await run(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", outDir, ...extra], 180_000);
  if (res.code !== 0) throw new Error(`wrangler deploy --dry-run failed (${res.code}):\n${res.stdout}\n${res.stderr}`);
  return res.stdout + res.stderr;
}

async function bundle(outDir: string) {
  const printed = await build(outDir, ["--metafile", path.join(outDir, "meta.json")]);
  const code = await readFile(path.join(outDir, "index.js"));
  const reported = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(printed);
  const meta = JSON.parse(await readFile(path.join(outDir, "meta.json"), "utf8")) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
  const output = Object.entries(meta.outputs).find(([file]) => file.endsWith("index.js"))?.[1];
  const byOrigin = new Map<string, number>();
  for (const [file, input] of Object.entries(output?.inputs ?? {})) {
    const origin = file.includes("node_modules/") ? file.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, "$1") : path.dirname(file);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + input.bytesInOutput);
  }
  return {
    rawKB: round(code.byteLength / 1024, 1),
    gzipKB: round(gzipSync(code).byteLength / 1024, 1),
    wranglerReported: reported ? { totalKiB: Number(reported[1]), gzipKiB: Number(reported[2]) } : undefined,
    largestInputsKB: [...byOrigin].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([origin, bytes]) => ({ origin, rawKB: round(bytes / 1024, 1) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Relay configuration

function provider(name: string, address: string) {
  return { apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Provider", metadata: { name, namespace: NAMESPACE }, spec: { type: "generic", address } };
}

function alert(name: string, providerName: string, objects: string[]) {
  return {
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    metadata: { name, namespace: NAMESPACE, ...(NOISE ? { annotations: { "flux-relay.fluxcd.io/notify": "changes" } } : {}) },
    spec: { providerRef: { name: providerName }, eventSources: objects.map((o) => ({ kind: "Kustomization", name: o, ...(NOISE ? { namespace: "*" } : {}) })) },
  };
}

/** Writes Providers and Alerts through the admin API, a few at a time. */
async function configure(relay: WranglerDev, routes: { name: string; address: string; objects: string[] }[]): Promise<void> {
  const queue = [...routes];
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      await relay.admin(`/providers/${NAMESPACE}/${r.name}`, { method: "PUT", body: provider(r.name, r.address) });
      await relay.admin(`/alerts/${NAMESPACE}/${r.name}`, { method: "PUT", body: alert(r.name, r.name, r.objects) });
    }
  }));
}

async function waitForRequests(box: CaptureBox, count: number, deadlineMs: number): Promise<CapturedRequest[]> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const got = await box.requests();
    if (got.length >= count || Date.now() > deadline) return got;
    // Each poll serializes every captured request in the capture server, which shares this process.
    await sleep(1000);
  }
}

// ---------------------------------------------------------------------------------------------
// Drain and ingest-to-delivered latency

/** With `--profile`: samples the Worker isolate around a phase and keeps the profile and its summary. */
type Profiler = <T>(phase: string, run: () => Promise<T>) => Promise<T>;

async function phaseProfiler(relay: WranglerDev, profiles: Record<string, unknown>): Promise<{ profiled: Profiler; close: () => void }> {
  if (!PROFILE) return { profiled: (_phase, run) => run(), close: () => undefined };
  const worker = await profileWorker(relay.port, "flux-relay");
  return {
    profiled: async (phase, run) => {
      await worker.start();
      const result = await run();
      const profile: CpuProfile = await worker.stop();
      await writeFile(path.join(PROFILES, `worker-${phase}.cpuprofile`), JSON.stringify(profile));
      profiles[phase] = summarizeProfile(profile, PROFILE_WATCH);
      return result;
    },
    close: () => worker.close(),
  };
}

/**
 * Deliveries per second of one provider's Durable Object working through a backlog: the
 * destination holds the first delivery for `holdMs` while the ingress fills the outbox, then
 * answers at once; the rate counts only deliveries made after the ingress finished.
 */
async function drainRate(relay: WranglerDev, box: CaptureBox, profiled: Profiler) {
  await box.program([{ status: 200, delayMs: DRAIN.holdMs, times: 1 }, { status: 200 }]);
  const ingress = await hookLoad(relay.url, "bench-drain", "drain", DRAIN.connections, DRAIN.amount);
  const ingressEnd = Date.now();
  const accepted = ingress.statuses["202"] ?? 0;
  const requests = (await profiled("drain", () => waitForRequests(box, accepted, DRAIN.deadlineMs))).sort((a, b) => a.at - b.at);
  const released = requests[0] ? requests[0].at + DRAIN.holdMs : ingressEnd;
  const start = Math.max(ingressEnd, released);
  const window = requests.filter((r) => r.at >= start);
  const span = (window.at(-1)?.at ?? start) - (window[0]?.at ?? start);
  return {
    enqueued: accepted,
    delivered: requests.length,
    backlogFullAtRelease: ingressEnd <= released,
    measuredDeliveries: window.length,
    perSecond: span > 0 ? round(((window.length - 1) * 1000) / span, 1) : 0,
    ingress,
  };
}

/**
 * Sends `amount` events of `stream` at a steady rate and times each to its arrival at the
 * destination: from the 202 (ingested, the target's measure) and from the moment it was sent
 * (what a sender sees). `before` is how many requests the box already holds.
 */
async function pacedSend(relay: WranglerDev, box: CaptureBox, stream: string, amount: number, before: number) {
  const sentAt = new Map<number, number>();
  const ackedAt = new Map<number, number>();
  const statuses: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  const t0 = Date.now();
  for (let i = 0; i < amount; i++) {
    const due = t0 + (i * 1000) / E2E_LATENCY.rate;
    if (due > Date.now()) await sleep(due - Date.now());
    while (inFlight.size >= E2E_LATENCY.maxInFlight) await Promise.race(inFlight);
    const body = eventBody("bench-latency", `${stream}:${i}`);
    sentAt.set(i, Date.now());
    const p = fetch(`${relay.url}/hook/bench`, { method: "POST", headers: { "content-type": "application/json", "x-signature": sign(E2E_INGRESS_KEY, body) }, body, signal: AbortSignal.timeout(30_000) })
      .then(async (res) => {
        await res.text();
        ackedAt.set(i, Date.now());
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      })
      .catch(() => {
        statuses.error = (statuses.error ?? 0) + 1;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  const requests = await waitForRequests(box, before + (statuses["202"] ?? 0), E2E_LATENCY.deadlineMs);
  const fromAck: number[] = [];
  const fromSend: number[] = [];
  for (const r of requests) {
    const m = TAG.exec(r.body);
    if (!m || m[1] !== stream) continue;
    const i = Number(m[2]);
    // A delivery can reach the destination before the 202 reaches the sender: that is 0 ms.
    if (ackedAt.has(i)) fromAck.push(Math.max(0, r.at - ackedAt.get(i)!));
    if (sentAt.has(i)) fromSend.push(r.at - sentAt.get(i)!);
  }
  return { statuses, fromAck, fromSend, total: requests.length };
}

/**
 * Steady-state delivery latency. The provider's Durable Object is started by a few events first:
 * its first deliveries (object start, settings from KV, first connection) are reported apart.
 */
async function endToEndLatency(relay: WranglerDev, box: CaptureBox) {
  const cold = await pacedSend(relay, box, "latency-cold", E2E_LATENCY.warmup, 0);
  const warm = await pacedSend(relay, box, "latency", E2E_LATENCY.amount, cold.total);
  return {
    sent: E2E_LATENCY.amount,
    ratePerSecond: E2E_LATENCY.rate,
    statuses: warm.statuses,
    delivered: warm.fromAck.length,
    latencyMs: latency(warm.fromAck),
    fromSendMs: latency(warm.fromSend),
    coldStartFromAckMs: latency(cold.fromAck),
  };
}

/** Every measurement against the relay, in one `wrangler dev` with a fresh persistence directory. */
async function relayPhases(bundleDir: string, box: () => CaptureBox, ingress: Record<string, unknown>, peers?: IngressPeers) {
  step("relay: wrangler dev and configuration");
  const relay = await WranglerDev.start({
    label: "bench",
    bundleDir,
    // Production timings: config cached for 30 s per isolate, retries from 2 s.
    vars: { CONFIG_TTL_SECONDS: "30", RETRY_MIN_SECONDS: "2", RETRY_MAX_SECONDS: "600", DEMO_INBOX: "false" },
  });
  const profiles: Record<string, unknown> = {};
  try {
    const { profiled, close } = await phaseProfiler(relay, profiles);
    const parked = box();
    const live = box();
    const drain = box();
    const e2e = box();
    await parked.program(PARK);
    const fanoutRoutes = Array.from({ length: Math.max(...FANOUT.sizes) }, (_, i) => ({
      name: `fan-${String(i).padStart(3, "0")}`,
      address: parked.url,
      objects: FANOUT.sizes.filter((size) => i < size).map((size) => `bench-fanout-${size}`),
    }));
    await configure(relay, [
      { name: "ingress", address: parked.url, objects: ["bench-ingress"] },
      { name: "ingress-live", address: live.url, objects: ["bench-ingress-live"] },
      { name: "drain", address: drain.url, objects: ["bench-drain"] },
      { name: "latency", address: e2e.url, objects: ["bench-latency"] },
    ]);

    if (peers) {
      step(`ingress: bare Worker, durable floor and relay in turn, ${INGRESS.rounds} rounds`);
      Object.assign(ingress, await profiled("ingress", () => interleavedIngress({ bare: peers.bare, floor: peers.floor, relay: relay.url })));
      await peers.stop();
      step("relay: ingress while the provider drains");
      const liveDrain = await hookLoad(relay.url, "bench-ingress-live", "ingress-live", INGRESS.connections, INGRESS.amount);
      ingress.relayLiveDrain = liveDrain;
      // The next phases must not share the CPU with this provider's backlog.
      ingress.liveDrainDelivered = (await waitForRequests(live, liveDrain.statuses["202"] ?? 0, DRAIN.deadlineMs)).length;
    }

    const bySize: Record<number, LoadResult> = {};
    if (runs("fanout")) {
      step("relay: fan-out");
      // Only now: every config reload parses every manifest, and the ingress figures above are for a
      // relay with a handful of them.
      await configure(relay, fanoutRoutes);
      for (const size of FANOUT.sizes) {
        await hookLoad(relay.url, `bench-fanout-${size}`, `fanout-warmup-${size}`, 1, FANOUT.warmup);
        bySize[size] = await profiled(`fanout-${size}`, () => hookLoad(relay.url, `bench-fanout-${size}`, `fanout-${size}`, 1, FANOUT.amount));
      }
    }

    if (runs("drain")) step("relay: drain");
    const drainResult = runs("drain") ? await drainRate(relay, drain, profiled) : undefined;
    if (runs("latency")) step("relay: ingest-to-delivered latency");
    const latencyResult = runs("latency") ? await endToEndLatency(relay, e2e) : undefined;
    close();
    return { fanout: { bySize }, drain: drainResult, latency: latencyResult, ...(PROFILE ? { profiles } : {}) };
  } finally {
    await relay.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

/** `--profile`: the Worker isolate's CPU by function, per phase (share of busy samples). */
function profileSection(profiles: Record<string, ReturnType<typeof summarizeProfile>>): string[] {
  const phases = Object.keys(profiles);
  return [
    "## Worker isolate CPU by function (`--profile`)",
    "",
    "Share of the isolate's busy samples with the function on the stack. Locally the Durable Objects run in the Worker's isolate, so their work is included.",
    "",
    `| function | ${phases.join(" | ")} |`,
    `|---|${phases.map(() => "---").join("|")}|`,
    `| (busy, % of all samples) | ${phases.map((p) => profiles[p].busyPct).join(" | ")} |`,
    ...PROFILE_WATCH.filter((fn) => phases.some((p) => profiles[p].inclusivePct[fn] !== undefined)).map((fn) => `| ${fn} | ${phases.map((p) => profiles[p].inclusivePct[fn] ?? "").join(" | ")} |`),
    "",
  ];
}

function markdown(results: Record<string, any>, metrics: Metric[]): string {
  const m = results.machine;
  const lines = [
    "# flux-relay benchmark",
    "",
    `Run ${results.date} on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; Node ${m.node}, wrangler ${m.wrangler} (workerd ${m.workerd}), local mode. ` +
      `Load average (1/5/15 min) at start ${m.loadAverageAtStart.join(" / ")}, at the end ${results.loadAverageAtEnd.join(" / ")}; the run took ${results.durationSeconds} s. ` +
      `Produced by \`npm run bench\`${results.profiles ? " --profile (timings include the profiler's overhead; the relay ran unminified so the profile keeps function names)" : ""}; numbers in latest.json.`,
    "",
    "| metric | target | measured | result |",
    "|---|---|---|---|",
    ...metrics.map((x) => `| ${x.name} | ${x.target} | ${x.measured} | ${x.pass ? "pass" : "**miss**"} |`),
    "",
    "## Ingress (signed events, 1 provider, deliveries parked)",
    "",
    `The bare Worker, the durable floor and the relay ran side by side and took the load in turns, ${INGRESS.rounds} rounds of ${INGRESS.amount / INGRESS.rounds} requests each (the rows sum the rounds). ` +
      `Per round, relay / bare: ${results.ingress.perRound.map((r: { relay: number }) => r.relay).join(", ")}; floor / bare: ${results.ingress.perRound.map((r: { floor: number }) => r.floor).join(", ")}.`,
    "",
    "| worker | requests | connections | req/s | p50 ms | p99 ms | statuses |",
    "|---|---|---|---|---|---|---|",
    ...(["bare", "floor", "relay", "relayLiveDrain"] as const).map((k) => {
      const r = results.ingress[k] as LoadResult;
      const label = { bare: "bare Worker (202 only)", floor: "durable floor (one DO call, one SQLite insert)", relay: "relay", relayLiveDrain: "relay, provider draining meanwhile" }[k];
      return `| ${label} | ${r.requests} | ${INGRESS.connections} | ${r.rps} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${JSON.stringify(r.statuses)} |`;
    }),
    "",
    "## Fan-out (one connection, sequential requests)",
    "",
    "| matching providers | requests | p50 ms | p99 ms | mean ms |",
    "|---|---|---|---|---|",
    ...Object.entries(results.fanout.bySize as Record<string, LoadResult>).map(([k, r]) => `| ${k} | ${r.requests} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.latencyMs.mean} |`),
    "",
    "## Formatters (µs per event)",
    "",
    "Node: median of 15 timed batches after a 200 ms warm-up. workerd: the same cases run n times in one request of bench/format-worker.ts, minus an empty request.",
    "",
    "| type | cases | Node median | Node min | Node max | workerd |",
    "|---|---|---|---|---|---|",
    ...(results.formatters as FormatterResult[]).map((f) => f.error ? `| ${f.type} | not measured: ${f.error} | | | | |` : `| ${f.type} | ${f.cases} (${f.source}) | ${f.medianUs} | ${f.minUs} | ${f.maxUs} | ${f.workerdUs ?? "n/a"} |`),
    "",
    "## Bundle",
    "",
    `\`wrangler deploy --dry-run\` as configured: ${results.bundle.rawKB} KB, ${results.bundle.gzipKB} KB gzip` +
      (results.bundle.wranglerReported ? ` (wrangler reports ${results.bundle.wranglerReported.totalKiB} KiB / gzip ${results.bundle.wranglerReported.gzipKiB} KiB)` : "") + ".",
    "",
    "| largest inputs | KB in bundle (before gzip) |",
    "|---|---|",
    ...(results.bundle.largestInputsKB as { origin: string; rawKB: number }[]).map((b) => `| ${b.origin} | ${b.rawKB} |`),
    "",
    ...(results.profiles ? profileSection(results.profiles) : []),
    "Analysis of the misses: bench/results/analysis.md.",
    "",
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  const started = Date.now();
  const work = await mkdtemp(path.join(os.tmpdir(), "flux-relay-bench-"));
  const cleanups: (() => Promise<unknown>)[] = [];
  const results: Record<string, any> = { date: new Date().toISOString(), machine: await machine() };
  try {
    if (PROFILE) await mkdir(PROFILES, { recursive: true });
    if (runs("formatters")) step("formatters in Node");
    ({ results: results.formatters, templated: results.formattersTemplated } = runs("formatters") ? await nodeFormatters() : { results: [], templated: [] });

    step("bundle (wrangler deploy --dry-run)");
    const bundleDir = path.join(work, "bundle");
    results.bundle = await bundle(bundleDir);
    // A minified bundle leaves the profiler with mangled names: profiling runs the same code unminified.
    const relayBundle = PROFILE ? path.join(work, "bundle-unminified") : bundleDir;
    if (PROFILE) await build(relayBundle, ["--no-minify"]);

    const capture = await startCaptureServer();
    cleanups.push(() => capture.close());
    const box = () => new CaptureBox(capture.url);

    results.ingress = {};
    let peers: IngressPeers | undefined;
    if (runs("ingress")) {
      step("bare Worker and durable floor Worker");
      const bare = await BenchWorker.start("bare", "bench/bare-worker.ts");
      cleanups.push(() => bare.stop());
      const floor = await BenchWorker.start("floor", "bench/durable-floor-worker.ts", [
        "[[durable_objects.bindings]]", 'name = "INTAKE"', 'class_name = "Intake"',
        "[[migrations]]", 'tag = "v1"', 'new_sqlite_classes = ["Intake"]',
      ]);
      cleanups.push(() => floor.stop());
      peers = { bare: bare.url, floor: floor.url, stop: async () => void (await Promise.all([bare.stop(), floor.stop()])) };
    }

    Object.assign(results, await relayPhases(relayBundle, box, results.ingress, peers));

    if (runs("formatters")) {
      step("formatters in workerd");
      await workerdFormatters(results.formatters);
    }

    if (runs("statuspage")) {
      step("status page (100 providers, 20 clusters)");
      results.statusPage = await statusPageBench(relayBundle, box, step);
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => console.error(`cleanup failed: ${String(err)}`));
    await rm(work, { recursive: true, force: true });
  }
  results.durationSeconds = Math.round((Date.now() - started) / 1000);
  results.loadAverageAtEnd = os.loadavg().map((v) => round(v));

  if (ONLY) {
    console.log(`\n${partialMetrics(results).map((x) => `${x.pass ? "pass" : "MISS"}  ${x.name}: ${x.measured} (target ${x.target})`).join("\n")}`);
    console.log(`\n--only ${[...ONLY].join(",")}: bench/results left unchanged; ${results.durationSeconds} s`);
    return;
  }
  const fan = results.fanout.bySize as Record<string, LoadResult>;
  const fanoutRatio = fan[100].latencyMs.p50 / fan[1].latencyMs.p50;
  const allFormatters = results.formatters as FormatterResult[];
  const formatters = allFormatters.filter((f) => !f.error);
  const slowest = formatters.reduce((a, b) => (b.medianUs > a.medianUs ? b : a));
  const slowestWorkerd = formatters.reduce((a, b) => ((b.workerdUs ?? 0) > (a.workerdUs ?? 0) ? b : a));
  const e2eLatency = results.latency.latencyMs as Latency;
  const metrics: Metric[] = [
    ingressMetric(results.ingress),
    floorMetric(results.ingress),
    { name: "ingress latency p50 / p99, relay (1 provider)", target: "(info)", measured: `${results.ingress.relay.latencyMs.p50} / ${results.ingress.relay.latencyMs.p99} ms at ${INGRESS.connections} connections`, pass: true },
    { name: "fan-out ingress latency p50, t(100) / t(1)", target: `<= ${TARGETS.fanoutRatio}`, measured: `${round(fanoutRatio)} (${fan[1].latencyMs.p50} / ${fan[10].latencyMs.p50} / ${fan[100].latencyMs.p50} ms for 1 / 10 / 100)`, pass: fanoutRatio <= TARGETS.fanoutRatio },
    { name: "drain, deliveries/s of one provider", target: `>= ${TARGETS.drainPerSecond}`, measured: `${results.drain.perSecond} (${results.drain.measuredDeliveries} deliveries from a backlog)`, pass: results.drain.perSecond >= TARGETS.drainPerSecond },
    { name: "ingest-to-delivered latency p99 (from the 202)", target: `< ${TARGETS.drainP99Ms} ms`, measured: `${e2eLatency.p99} ms (p50 ${e2eLatency.p50}; from sending: p50 ${results.latency.fromSendMs.p50}, p99 ${results.latency.fromSendMs.p99}; ${results.latency.delivered} events at ${E2E_LATENCY.rate}/s)`, pass: e2eLatency.p99 < TARGETS.drainP99Ms },
    { name: "first deliveries of a provider whose object just started", target: "(info)", measured: `max ${results.latency.coldStartFromAckMs.max} ms from the 202 (${E2E_LATENCY.warmup} events, excluded above)`, pass: true },
    { name: "formatting, slowest type (Node)", target: `< ${TARGETS.formatUs} µs`, measured: `${slowest.medianUs} µs (${slowest.type}); ${formatters.filter((f) => f.medianUs >= TARGETS.formatUs).length} of ${formatters.length} types at or above${allFormatters.length > formatters.length ? `, ${allFormatters.length - formatters.length} not measured` : ""}`, pass: slowest.medianUs < TARGETS.formatUs && allFormatters.length === formatters.length },
    templatedMetric(results.formattersTemplated),
    { name: "formatting, slowest type (workerd)", target: `< ${TARGETS.formatUs} µs`, measured: `${slowestWorkerd.workerdUs} µs (${slowestWorkerd.type})`, pass: (slowestWorkerd.workerdUs ?? Infinity) < TARGETS.formatUs },
    { name: "bundle, gzip", target: `< ${TARGETS.bundleGzipKB} KB`, measured: `${results.bundle.gzipKB} KB (${results.bundle.rawKB} KB raw)`, pass: results.bundle.gzipKB < TARGETS.bundleGzipKB },
    statusPageMetric(results.statusPage),
  ];
  results.targets = TARGETS;
  results.metrics = metrics;
  await mkdir(RESULTS, { recursive: true });
  await writeFile(path.join(RESULTS, `${OUT}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(path.join(RESULTS, `${OUT}.md`), markdown(results, metrics));
  console.log(`\n${metrics.map((x) => `${x.pass ? "pass" : "MISS"}  ${x.name}: ${x.measured} (target ${x.target})`).join("\n")}`);
  console.log(`\nbench/results/${OUT}.md and ${OUT}.json written; ${results.durationSeconds} s`);
}

/** The metrics of the sections an `--only` run measured. */
/** Rendering an Alert's templates plus formatting, the slowest of the templated cases. */
function templatedMetric(templated: TemplatedResult[]): Metric {
  const slowest = templated.reduce((a, b) => (b.medianUs > a.medianUs ? b : a));
  return { name: "formatting with a template, slowest case (Node)", target: `< ${TARGETS.formatUs} µs`, measured: `${slowest.medianUs} µs (${slowest.case}); ${templated.map((t) => `${t.type} ${t.medianUs}`).join(", ")}`, pass: slowest.medianUs < TARGETS.formatUs };
}

/** The relay's rate over the bare Worker's, all rounds together, and the spread of the single rounds. */
function ingressMetric(ingress: Record<IngressWorker, LoadResult> & { perRound: { relay: number }[] }): Metric {
  const ratio = ingress.relay.rps / ingress.bare.rps;
  const rounds = ingress.perRound.map((r) => r.relay);
  return {
    name: "ingress throughput, relay / bare Worker",
    target: `>= ${TARGETS.ingressRatio}`,
    measured: `${round(ratio)} (${ingress.relay.rps} / ${ingress.bare.rps} req/s; ${rounds.length} interleaved rounds ${Math.min(...rounds)}-${Math.max(...rounds)})`,
    pass: ratio >= TARGETS.ingressRatio,
  };
}

/** What a Worker doing only one Durable Object call with one SQLite insert reaches: the relay's ceiling here. */
function floorMetric(ingress: Record<string, LoadResult>): Metric {
  const ratio = ingress.floor.rps / ingress.bare.rps;
  return { name: "durable floor: one DO call + one SQLite insert / bare Worker", target: "(info)", measured: `${round(ratio)} (${ingress.floor.rps} / ${ingress.bare.rps} req/s); relay / floor ${round(ingress.relay.rps / ingress.floor.rps)}; workerd CPU per request ${["bare", "floor", "relay"].map((k) => `${k} ${ingress[k].workerdCpuMsPerRequest} ms`).join(", ")}`, pass: true };
}

function partialMetrics(results: Record<string, any>): Metric[] {
  const out: Metric[] = [];
  if (results.formattersTemplated?.length > 0) out.push(templatedMetric(results.formattersTemplated));
  if (results.ingress.relay) {
    out.push(ingressMetric(results.ingress));
    out.push(floorMetric(results.ingress));
  }
  const fan = results.fanout.bySize as Record<string, LoadResult>;
  if (fan[1]) {
    const ratio = fan[100].latencyMs.p50 / fan[1].latencyMs.p50;
    out.push({ name: "fan-out ingress latency p50, t(100) / t(1)", target: `<= ${TARGETS.fanoutRatio}`, measured: `${round(ratio)} (${fan[1].latencyMs.p50} / ${fan[10].latencyMs.p50} / ${fan[100].latencyMs.p50} ms for 1 / 10 / 100)`, pass: ratio <= TARGETS.fanoutRatio });
  }
  if (results.drain) out.push({ name: "drain, deliveries/s of one provider", target: `>= ${TARGETS.drainPerSecond}`, measured: `${results.drain.perSecond} (${results.drain.delivered} of ${results.drain.enqueued} accepted events delivered, ${results.drain.measuredDeliveries} in the measured window)`, pass: results.drain.perSecond >= TARGETS.drainPerSecond });
  if (results.latency) {
    const l = results.latency.latencyMs as Latency;
    out.push({ name: "ingest-to-delivered latency p99 (from the 202)", target: `< ${TARGETS.drainP99Ms} ms`, measured: `${l.p99} ms (p50 ${l.p50}; from sending p50 ${results.latency.fromSendMs.p50}, p99 ${results.latency.fromSendMs.p99}; ${results.latency.delivered} events at ${E2E_LATENCY.rate}/s)`, pass: l.p99 < TARGETS.drainP99Ms });
  }
  if (results.statusPage) out.push(statusPageMetric(results.statusPage));
  return out;
}

// Ctrl-C still runs the exit handlers that stop every wrangler process group.
process.once("SIGINT", () => process.exit(130));
await main();
