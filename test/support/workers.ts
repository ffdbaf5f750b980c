import { env, exports } from "cloudflare:workers";
import { afterAll, beforeAll, inject, vi } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import { hmacHex } from "../../src/lib/crypto";
import { CaptureBox } from "./capture-client";

export const INGRESS_KEY = "test-ingress-key";
export const ADMIN = { authorization: "Bearer test-admin-token" };
export const SHA = "0123456789abcdef0123456789abcdef01234567";

/** A fresh capture box on the run's capture server. */
export function captureBox(): CaptureBox {
  return new CaptureBox(inject("captureUrl"));
}

/** Event E of event-routing-spec section 10, with overrides. */
export function fixtureEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    involvedObject: { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: "apps", namespace: "flux-system" },
    severity: "info",
    reason: "ReconciliationSucceeded",
    message: `Applied revision: main@sha1:${SHA}`,
    metadata: { "kustomize.toolkit.fluxcd.io/revision": `main@sha1:${SHA}` },
    reportingController: "kustomize-controller",
    timestamp: "2026-01-15T10:20:30Z",
    ...overrides,
  };
}

/** An event as the ingress stores it and hands to a provider (parsed, metadata already un-prefixed). */
export function storedEvent(message: string, metadata: Record<string, string> = {}): FluxEvent {
  return {
    involvedObject: { kind: "Kustomization", namespace: "flux-system", name: "apps", uid: "", apiVersion: "kustomize.toolkit.fluxcd.io/v1", resourceVersion: "", fieldPath: "" },
    severity: "info",
    timestamp: "2026-01-15T10:20:30Z",
    message,
    reason: "ReconciliationSucceeded",
    metadata,
    reportingController: "kustomize-controller",
    reportingInstance: "",
  };
}

/** POSTs a body to /hook/<cluster> signed like Flux's generic-hmac provider. */
export async function sendSigned(body: unknown, opts: { cluster?: string; key?: string; alg?: "sha256" | "sha384" | "sha512"; headers?: Record<string, string> } = {}): Promise<Response> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const alg = opts.alg ?? "sha256";
  const names = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" } as const;
  const signature = `${alg}=${await hmacHex(names[alg], opts.key ?? INGRESS_KEY, text)}`;
  return exports.default.fetch(`http://relay/hook/${opts.cluster ?? "test"}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-signature": signature, ...opts.headers },
    body: text,
  });
}

/** Writes a Provider manifest (JSON) to KV as `providers/<ns>/<name>`. */
export async function putProvider(name: string, spec: Record<string, unknown>, opts: { namespace?: string; metadata?: Record<string, unknown> } = {}): Promise<void> {
  const namespace = opts.namespace ?? "flux-system";
  await env.CONFIG.put(`providers/${namespace}/${name}`, JSON.stringify({
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Provider",
    metadata: { name, namespace, ...opts.metadata },
    spec,
  }));
}

/** Writes an Alert manifest (JSON) to KV as `alerts/<ns>/<name>`. */
export async function putAlert(name: string, spec: Record<string, unknown>, namespace = "flux-system"): Promise<void> {
  await env.CONFIG.put(`alerts/${namespace}/${name}`, JSON.stringify({
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    metadata: { name, namespace },
    spec: { eventSources: [{ kind: "Kustomization", name: "*" }], ...spec },
  }));
}

/** Removes every Provider and Alert (storage is per test file, not per test). */
export async function clearConfig(): Promise<void> {
  for (const prefix of ["providers/", "alerts/"]) {
    const { keys } = await env.CONFIG.list({ prefix });
    await Promise.all(keys.map((k) => env.CONFIG.delete(k.name)));
  }
}

export async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`http://relay/api/v1${path}`, { ...init, headers: { ...ADMIN, ...(init.headers as Record<string, string>) } });
}

/** A response body as JSON, typed loosely: tests assert its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(res: Response): Promise<any> {
  return res.json();
}

/** Polls `probe` every 50 ms until it returns a value (bounded: throws after `timeoutMs`). */
export async function waitUntil<T>(probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Collects every console line of the Worker and its objects while the calling suite runs (from
 * its beforeAll to its afterAll), after clearing the configuration, for tests that search logs
 * for secrets. Returns the array the lines are pushed to.
 */
export function captureConsole(): string[] {
  const lines: string[] = [];
  const spies: ReturnType<typeof vi.spyOn>[] = [];
  beforeAll(async () => {
    await clearConfig();
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      spies.push(vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      }));
    }
  });
  afterAll(() => {
    for (const spy of spies) spy.mockRestore();
  });
  return lines;
}
