import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, inject, vi } from "vitest";
import { CaptureBox } from "./capture-client";
import type { CapturedRequest } from "./capture-server";
import { admin, captureBox, clearConfig, putAlert, putProvider, sendSigned, SHA } from "./workers";

/**
 * Shared fixtures of event-routing-spec section 10. Kubernetes names are lower-case, so Provider
 * `P` and Alert `A` are stored as `p` and `a`; P's address `https://hook.example/in` becomes a
 * capture box so deliveries are observed at the network boundary.
 */
export const REVISION = `main@sha1:${SHA}`;

let caseStartedAt = 0;

/**
 * Section 10's "fresh rate limiter for every case": no config, and every cluster's dedup window
 * forgets its keys. Provider objects keep their history across cases, because deleting Durable Objects
 * (cloudflare:test `reset`) while the previous case's outbox alarm is finishing left the next
 * case's alarm unfired now and then; so dispatch failures are read from this case on (alertStatus).
 */
export async function freshRelay(): Promise<void> {
  caseStartedAt = Date.now();
  await clearConfig();
  const clusters = await listDurableObjectIds(env.CLUSTER);
  await Promise.all(clusters.map((id) => runInDurableObject(env.CLUSTER.get(id), (_, state) => void state.storage.sql.exec("DELETE FROM dedup"))));
}

/** Provider P (generic, addressed at `target`, or without an address) with spec overrides. */
export function putP(target: Target | null, spec: Record<string, unknown> = {}): Promise<void> {
  return putProvider("p", { type: "generic", ...(target ? { address: target.address } : {}), ...spec });
}

/** Alert A (`eventSources: [{kind: Kustomization, name: '*'}]`, eventSeverity omitted) with spec overrides. */
export function putA(spec: Record<string, unknown> = {}, name = "a"): Promise<void> {
  return putAlert(name, { providerRef: { name: "p" }, ...spec });
}

/** Where a provider's requests land: a capture box, or a slice of one picked out by path. */
export interface Target {
  /** The Provider address that sends requests here. */
  address: string;
  requests(): Promise<CapturedRequest[]>;
}

/** A fresh capture box, standing in for P's `https://hook.example/in`. */
export function boxTarget(): Target {
  const box = captureBox();
  return { address: box.url, requests: () => box.requests() };
}

/**
 * A GitHub repository served by the capture server. The github notifier maps a self-hosted
 * `http://127.0.0.1:<port>/<owner>/<repo>` to the GitHub Enterprise API base
 * `http://127.0.0.1:<port>/api/v3`, whose paths fall outside `/box/<id>`, so they land in the
 * server's default box; a unique repository name keeps each test's requests apart.
 */
export function gitHubRepo(): Target & { statusesPath: string } {
  const repo = `routing-${crypto.randomUUID()}`;
  const base = inject("captureUrl");
  const fallback = new CaptureBox(base, "_default");
  const prefix = `/api/v3/repos/flux/${repo}/`;
  return {
    address: `${base}/flux/${repo}`,
    statusesPath: `${prefix}statuses/`,
    requests: async () => (await fallback.requests()).filter((r) => r.path.startsWith(prefix)),
  };
}

const PROBE = "ctl-probe-";

/**
 * Proves P's outbox went idle and returns what it sent before: adds an Alert for a
 * probe object (only now, so the case itself ran on the spec's fixtures), sends a probe event and
 * waits for it. The outbox is FIFO per provider, so anything the case had queued for it was
 * attempted before the probe. The probe carries a commit so commit-status providers post it too,
 * and a unique object name, which every provider type puts in what it sends.
 */
export async function sentBeforeProbe(target: Target): Promise<CapturedRequest[]> {
  const name = `${PROBE}${crypto.randomUUID().slice(0, 8)}`;
  await putAlert(name, { providerRef: { name: "p" }, eventSources: [{ kind: "GitRepository", name }] });
  const res = await sendSigned({
    involvedObject: { apiVersion: "source.toolkit.fluxcd.io/v1", kind: "GitRepository", name, namespace: "flux-system" },
    severity: "info",
    reason: "Succeeded",
    message: "probe",
    metadata: { "event.toolkit.fluxcd.io/commit": SHA },
    reportingController: "source-controller",
  });
  expect(await res.json()).toEqual({ accepted: 1, duplicate: false });
  const all = await waitFor(async () => {
    const got = await target.requests();
    return got.some((r) => r.body.includes(name)) ? got : undefined;
  });
  const index = all.findIndex((r) => r.body.includes(name));
  expect(index).toBe(all.length - 1);
  return all.slice(0, index).filter((r) => !r.body.includes(PROBE));
}

/** Exactly one POST reached the target before the probe; returns its parsed JSON body. */
export async function deliveredOnce(target: Target): Promise<Record<string, any>> {
  const sent = await sentBeforeProbe(target);
  expect(sent).toHaveLength(1);
  expect(sent[0].method).toBe("POST");
  return JSON.parse(sent[0].body);
}

/** Nothing reached the target before the probe. */
export async function notDelivered(target: Target): Promise<void> {
  expect(await sentBeforeProbe(target)).toEqual([]);
}

/** Polls `probe` every 25 ms until it returns a value (bounded: the outbox works in milliseconds here). */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The relay's 202 body for an event that matched nothing, or a duplicate. */
export const NONE = { accepted: 0, duplicate: false };
export const DUPLICATE = { accepted: 0, duplicate: true };

/** A signed POST to /hook/test, as Flux's generic-hmac provider sends it; the relay's answer. */
export async function post(body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await sendSigned(body);
  return { status: res.status, body: await res.json() };
}

export type LogLine = Record<string, any> & { level: string; msg: string };

/**
 * Captures the relay's structured log lines (src/lib/log.ts) from this isolate, where the Worker
 * and its Durable Objects run; non-JSON console output is ignored. Restore with vi.restoreAllMocks.
 */
export function captureLogs(): LogLine[] {
  const lines: LogLine[] = [];
  for (const method of ["log", "warn", "error"] as const) {
    vi.spyOn(console, method).mockImplementation((first?: unknown) => {
      try {
        const parsed = JSON.parse(String(first));
        if (parsed && typeof parsed === "object" && "level" in parsed) lines.push(parsed);
      } catch {
        // Plain console output, not one of the relay's JSON lines.
      }
    });
  }
  return lines;
}

/** GET on the admin API, expecting 200. */
export async function adminJson(path: string): Promise<any> {
  const res = await admin(path);
  expect(res.status).toBe(200);
  return res.json();
}

/** Alert `flux-system/<name>`'s status as the admin API shows it, with the dispatch failures of this case. */
export async function alertStatus(name = "a"): Promise<{ conditions: { type: string; status: string; reason: string; message: string }[]; dispatchFailures: { reason: string; message: string }[] }> {
  const { status } = await adminJson(`/alerts/flux-system/${name}`);
  return { ...status, dispatchFailures: status.dispatchFailures.filter((f: { at: number }) => f.at >= caseStartedAt) };
}

export async function providerStatus(name = "p"): Promise<Record<string, any>> {
  return (await adminJson(`/providers/flux-system/${name}`)).status;
}
