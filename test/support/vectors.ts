import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { parseFluxEvent, type FluxEvent } from "../../src/flux/event";
import { parseManifest, type AlertManifest, type ProviderType } from "../../src/flux/manifests";
import { goJson } from "../../src/lib/gojson";
import type { Notifier, NotifyContext, OutboundRequest, ProviderSettings } from "../../src/notifiers/types";
import { formatRequest } from "./notifier-kit";
import { problemMessages } from "../../src/notifiers/kit/validate";

/** One case of shared/flux/vectors/<type>.json (copied into test/vectors/). */
export interface Vector {
  name: string;
  event: unknown;
  alert: Record<string, unknown>;
  provider: {
    type: ProviderType;
    name: string;
    namespace: string;
    uid: string;
    address: string;
    channel: string;
    username: string;
    secret?: Record<string, string>;
  };
  notifiedEvent: unknown;
  commitStatusId?: string;
  expect: {
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: unknown;
    bodyRaw?: string;
    /** The notifier sends nothing for this event (a Skip). */
    noRequest?: boolean;
  };
  preflight?: unknown[];
  additionalRequests?: unknown[];
  unorderedArrays?: string[];
  nondeterministic?: string[];
  notes?: string[];
  [extra: string]: unknown;
}

const dir = fileURLToPath(new URL("../vectors/", import.meta.url));

export function loadVectors(type: string): Vector[] {
  return JSON.parse(readFileSync(`${dir}${type}.json`, "utf8")) as Vector[];
}

export function vectorTypes(): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
}

/** The vector's notifiedEvent as the relay's FluxEvent (same decoder as the ingress). */
export function notifiedEvent(v: Vector): FluxEvent {
  return parseFluxEvent(JSON.stringify(v.notifiedEvent));
}

/**
 * ProviderSettings as the config store would resolve them for the vector's provider: the same
 * precedence rules (Secret address wins, username only with password), timeout 15 s.
 */
export function vectorSettings(v: Vector): ProviderSettings {
  const p = v.provider;
  const secret = p.secret ?? {};
  const headers: Record<string, string> = {};
  for (const line of (secret.headers ?? "").split("\n")) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) headers[m[1].trim()] = m[2].trim();
  }
  const basic = secret.username !== undefined && secret.password !== undefined;
  return {
    type: p.type,
    namespace: p.namespace,
    name: p.name,
    uid: p.uid,
    address: secret.address?.trim() || p.address,
    channel: p.channel,
    username: basic ? secret.username : p.username,
    password: basic ? secret.password : "",
    token: secret.token ?? "",
    headers,
    proxy: "",
    timeoutMs: 15_000,
    secret,
    manifest: parseManifest("Provider", {
      apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
      kind: "Provider",
      metadata: { name: p.name, namespace: p.namespace, uid: p.uid },
      spec: { type: p.type, address: p.address, channel: p.channel || undefined, username: p.username || undefined },
    }),
  };
}

/** The vector's alert (often `{}`) as an AlertManifest, or undefined when it is empty. */
export function vectorAlert(v: Vector): AlertManifest | undefined {
  if (!v.alert || Object.keys(v.alert).length === 0) return undefined;
  return v.alert as unknown as AlertManifest;
}

/** The vector's event, provider and alert as a notifier sees them, with parts overridden. */
export function vectorContext(
  v: Vector,
  { event, settings, now = 0 }: { event?: Partial<FluxEvent>; settings?: Partial<ProviderSettings>; now?: number } = {},
): NotifyContext {
  return { event: { ...notifiedEvent(v), ...event }, settings: { ...vectorSettings(v), ...settings }, alert: vectorAlert(v), now };
}

/**
 * One test per vector: its settings validate, and the request matches (`compare`, by default
 * expectVectorRequest); `check` adds the type's own assertions on the same request.
 */
export function itFormatsVectors(
  notifier: Notifier,
  vectors: Vector[],
  {
    now = 0,
    compare = expectVectorRequest,
    check,
  }: { now?: number; compare?: (req: OutboundRequest, v: Vector) => void; check?: (req: OutboundRequest, v: Vector, ctx: NotifyContext) => void } = {},
): void {
  for (const v of vectors) {
    it(v.name, async () => {
      const ctx = vectorContext(v, { now });
      expect(problemMessages(notifier.validate(ctx.settings))).toEqual([]);
      const req = await formatRequest(notifier, ctx);
      compare(req, v);
      check?.(req, v, ctx);
    });
  }
}

/**
 * Asserts a request equals the vector's expectation: method, URL and headers exactly; the body
 * byte for byte (against `bodyRaw`, or Go's encoding of `body` when its arrays are ordered),
 * otherwise semantically with `unorderedArrays` compared as multisets.
 */
export function expectVectorRequest(req: OutboundRequest, v: Vector): void {
  expect(req.method).toBe(v.expect.method);
  expect(req.url).toBe(v.expect.url);
  expect(req.headers).toEqual(v.expect.headers);
  if (v.expect.bodyRaw !== undefined) {
    expect(req.body).toBe(v.expect.bodyRaw);
    return;
  }
  if (!v.unorderedArrays?.length) {
    expect(req.body).toBe(goJson(v.expect.body));
    return;
  }
  const actual = JSON.parse(req.body);
  const expected = structuredClone(v.expect.body);
  for (const path of v.unorderedArrays) {
    sortAt(actual, path);
    sortAt(expected, path);
  }
  expect(actual).toEqual(expected);
}

/**
 * expectVectorRequest for a GitHub API request. The vectors leave out go-github's User-Agent; the
 * relay sends its own, because GitHub refuses requests without one and Workers fetch sets none.
 */
export function expectGitHubVectorRequest(req: OutboundRequest, v: Vector): void {
  const { "User-Agent": userAgent, ...headers } = req.headers;
  expect(userAgent).toBe("flux-relay");
  expectVectorRequest({ ...req, headers }, v);
}

function sortAt(root: unknown, path: string): void {
  const parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
  let node: any = root;
  for (const part of parts.slice(0, -1)) node = node?.[part];
  const last = parts[parts.length - 1];
  if (Array.isArray(node?.[last])) node[last].sort((a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}
