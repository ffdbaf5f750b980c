import { appendFile } from "node:fs/promises";
import { afterAll, beforeAll, beforeEach, inject } from "vitest";
import { CaptureBox } from "./capture-client";
import type { CapturedRequest } from "./capture-server";
import { startCaptureServer } from "./capture-server";
import { sleep, WranglerDev, type RelayOptions } from "./wrangler-dev";

declare module "vitest" {
  export interface ProvidedContext {
    relayBundle: string;
    resultsFile: string;
  }
}

export const NAMESPACE = "flux-system";
const REVISION = "main@sha1:0123456789abcdef0123456789abcdef01234567";
/** Every test event's message carries `e2e:<stream>:<seq>`: the stream is one provider's sequence. */
const ID = /e2e:([a-z0-9-]+):(\d+)/;
const START_HOOK_TIMEOUT_MS = 180_000;

/**
 * A `wrangler dev` for the current test file: started before its tests, stopped after them, its
 * log tail printed when a test fails. Call the returned function inside tests.
 */
export function useRelay(opts: Omit<RelayOptions, "bundleDir">): () => WranglerDev {
  let relay: WranglerDev | undefined;
  beforeAll(async () => {
    relay = await WranglerDev.start({ ...opts, bundleDir: inject("relayBundle") });
  }, START_HOOK_TIMEOUT_MS);
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      if (relay) console.error(`--- wrangler dev ${opts.label}: last lines (full log: ${relay.logPath}) ---\n${relay.logTail(150)}`);
    });
  });
  afterAll(async () => relay?.dispose(), START_HOOK_TIMEOUT_MS);
  return () => {
    if (!relay) throw new Error(`relay ${opts.label} did not start`);
    return relay;
  };
}

/** A capture server in this test process for the current file (boxes keep tests apart). */
export function useCapture(): () => { url: string; box: () => CaptureBox } {
  let server: Awaited<ReturnType<typeof startCaptureServer>> | undefined;
  beforeAll(async () => {
    server = await startCaptureServer();
  });
  afterAll(async () => server?.close());
  return () => {
    if (!server) throw new Error("capture server did not start");
    const url = server.url;
    return { url, box: () => new CaptureBox(url) };
  };
}

/** A controller-shaped Flux event from Kustomization `object`, unique by its message. */
export function fluxEvent(object: string, stream: string, seq: number, severity: "info" | "error" = "info"): Record<string, unknown> {
  return {
    involvedObject: { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: object, namespace: NAMESPACE, uid: "00000000-0000-0000-0000-000000000001" },
    severity,
    reason: "ReconciliationSucceeded",
    message: `Applied revision: ${REVISION} (e2e:${stream}:${seq})`,
    metadata: { "kustomize.toolkit.fluxcd.io/revision": REVISION },
    reportingController: "kustomize-controller",
    timestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}

/**
 * Writes a Provider and an Alert named `name` through the admin API; the Alert selects only
 * Kustomization `name`, so each test's events reach only its own provider.
 */
export async function route(relay: WranglerDev, name: string, spec: Record<string, unknown>, opts: { secretRef?: string } = {}): Promise<void> {
  await relay.admin(`/providers/${NAMESPACE}/${name}`, {
    method: "PUT",
    body: {
      apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
      kind: "Provider",
      metadata: { name, namespace: NAMESPACE },
      spec: { ...spec, ...(opts.secretRef ? { secretRef: { name: opts.secretRef } } : {}) },
    },
  });
  await relay.admin(`/alerts/${NAMESPACE}/${name}`, {
    method: "PUT",
    body: {
      apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
      kind: "Alert",
      metadata: { name, namespace: NAMESPACE },
      spec: { providerRef: { name }, eventSources: [{ kind: "Kustomization", name }] },
    },
  });
}

/** What the sender saw for one event. */
export interface Ack {
  id: string;
  stream: string;
  seq: number;
  status: number | "error";
  duplicate?: boolean;
  /** When the request left (ms since the epoch). */
  sentAt: number;
  /** When the answer arrived. */
  at: number;
  error?: string;
}

/**
 * Sends the events `seqs` of one stream (Kustomization `stream`), at most `window` at a time (Flux
 * posts events concurrently too). An event acknowledged before another was sent must be delivered
 * before it; deliveryStats checks exactly that. Stops sending at the first transport error when
 * `stopOnError` (the relay went away).
 */
export async function sendStream(
  relay: WranglerDev,
  cluster: string,
  stream: string,
  seqs: number[],
  opts: { window?: number; stopOnError?: boolean; onAck?: (ack: Ack) => void } = {},
): Promise<Ack[]> {
  const acks: Ack[] = [];
  const queue = [...seqs];
  let stopped = false;
  const worker = async () => {
    for (let seq = queue.shift(); seq !== undefined && !stopped; seq = queue.shift()) {
      const id = `${stream}:${seq}`;
      const sentAt = Date.now();
      let ack: Ack;
      try {
        const res = await relay.hook(cluster, fluxEvent(stream, stream, seq));
        ack = { id, stream, seq, status: res.status, duplicate: res.body.duplicate, sentAt, at: Date.now(), error: res.body.error };
      } catch (err) {
        ack = { id, stream, seq, status: "error", sentAt, at: Date.now(), error: String((err as Error).cause ?? err) };
        if (opts.stopOnError) stopped = true;
      }
      acks.push(ack);
      opts.onAck?.(ack);
    }
  };
  await Promise.all(Array.from({ length: opts.window ?? 1 }, worker));
  return acks;
}

export const acknowledged = (acks: Ack[]) => acks.filter((a) => a.status === 202);

/** The e2e id (`<stream>:<seq>`) in a delivered request body, if any. */
export function idOf(req: CapturedRequest): { id: string; stream: string; seq: number } | undefined {
  const m = ID.exec(req.body);
  return m ? { id: `${m[1]}:${m[2]}`, stream: m[1], seq: Number(m[2]) } : undefined;
}

const succeeded = (r: CapturedRequest) => typeof r.answered === "number" && r.answered >= 200 && r.answered < 300;

/** Delivery accounting of acknowledged events against what receivers answered with 2xx. */
export interface DeliveryStats {
  acknowledged: number;
  /** Requests the receivers got, failed ones included. */
  attempts: number;
  /** Acknowledged events answered 2xx at least once. */
  delivered: number;
  /** 2xx answers beyond the first for the same event (at-least-once redeliveries). */
  duplicates: number;
  /** Acknowledged events never answered 2xx. */
  missing: string[];
  /** Events whose first 2xx answer came before that of an event acknowledged before they were sent. */
  orderViolations: string[];
  /** From the 202 to the first 2xx answer. */
  maxLatencyMs: number;
  p50LatencyMs: number;
}

export function deliveryStats(acks: Ack[], requests: CapturedRequest[]): DeliveryStats {
  const acked = new Map<string, Ack>();
  for (const a of acknowledged(acks)) if (!acked.has(a.id)) acked.set(a.id, a);
  const firstOk = new Map<string, CapturedRequest>();
  const order = new Map<string, string[]>();
  let duplicates = 0;
  for (const req of requests) {
    const id = idOf(req);
    if (!id || !succeeded(req)) continue;
    if (firstOk.has(id.id)) {
      duplicates += 1;
      continue;
    }
    firstOk.set(id.id, req);
    order.set(id.stream, [...(order.get(id.stream) ?? []), id.id]);
  }
  const orderViolations: string[] = [];
  for (const delivered of order.values()) {
    // Quadratic, but a stream has at most a few hundred events.
    delivered.forEach((later, i) => {
      const b = acked.get(later);
      for (const earlier of delivered.slice(i + 1)) {
        const a = acked.get(earlier);
        if (a && b && a.at < b.sentAt) orderViolations.push(`${later} delivered before ${earlier}, which was acknowledged before ${later} was sent`);
      }
    });
  }
  const latencies = [...acked.values()].filter((a) => firstOk.has(a.id)).map((a) => Math.max(0, firstOk.get(a.id)!.at - a.at)).sort((x, y) => x - y);
  return {
    acknowledged: acked.size,
    attempts: requests.length,
    delivered: [...acked.keys()].filter((id) => firstOk.has(id)).length,
    duplicates,
    missing: [...acked.keys()].filter((id) => !firstOk.has(id)),
    orderViolations,
    maxLatencyMs: latencies.at(-1) ?? 0,
    p50LatencyMs: latencies[Math.floor(latencies.length / 2)] ?? 0,
  };
}

/** Polls every receiver box until every acknowledged event got a 2xx answer, or the deadline. */
export async function waitForDelivery(boxes: CaptureBox[], acks: Ack[], timeoutMs: number): Promise<{ requests: CapturedRequest[]; stats: DeliveryStats }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const requests = (await Promise.all(boxes.map((b) => b.requests()))).flat().sort((a, b) => a.at - b.at);
    const stats = deliveryStats(acks, requests);
    if (stats.missing.length === 0 || Date.now() > deadline) return { requests, stats };
    await sleep(500);
  }
}

/** Polls `probe` until it returns something truthy; throws with `what` after the deadline. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await sleep(intervalMs);
  }
}

/** One line of the run's summary table (printed by the global setup's teardown). */
export interface ResultRow {
  scenario: string;
  acknowledged: number;
  delivered: number;
  duplicates: number;
  attempts: number;
  maxLatencyMs: number;
  p50LatencyMs: number;
  note?: string;
}

/** Prints a scenario's numbers now and keeps them for the end-of-run table. */
export async function report(scenario: string, stats: DeliveryStats, note?: string): Promise<void> {
  const row: ResultRow = {
    scenario,
    acknowledged: stats.acknowledged,
    delivered: stats.delivered,
    duplicates: stats.duplicates,
    attempts: stats.attempts,
    maxLatencyMs: stats.maxLatencyMs,
    p50LatencyMs: stats.p50LatencyMs,
    note,
  };
  console.log(`[result] ${scenario}: ${stats.delivered}/${stats.acknowledged} delivered, ${stats.duplicates} duplicates, ${stats.attempts} attempts, latency p50 ${stats.p50LatencyMs} ms max ${stats.maxLatencyMs} ms${note ? `; ${note}` : ""}`);
  await appendFile(inject("resultsFile"), `${JSON.stringify(row)}\n`);
}
