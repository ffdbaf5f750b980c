import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { EVENT_SOURCE_KINDS } from "../../src/flux/manifests";
import { hmacHex } from "../../src/lib/crypto";
import { CaptureBox } from "../support/capture-client";
import type { CapturedRequest } from "../support/capture-server";
import { ADDRESS_USERINFO, adminCase, echoedErrorBody, hookCase, HOSTILE_SLOTS, hostileSlotName, kvCase, type AdminCase, type Auth, type HookCase } from "./arbitraries";

declare module "vitest" {
  export interface ProvidedContext {
    fuzzSeed: number;
  }
}

// 10,000 generated requests against the whole Worker: 8,000 hook requests, 500 runs of hostile KV
// content (2 requests each) and 1,000 admin-surface requests. Invariants: no 5xx but the
// documented 503s, unsigned or invalid events never stored nor delivered, no secret in any
// response body or log line, hostile markup never served raw as HTML, Object.prototype untouched.
// Requests go out in concurrent batches: the Worker waits on its Durable Objects most of the
// time, and a batch keeps it busy meanwhile (the invariants hold per request).
const BATCH = 8;
const RUNS = { hookBatches: 1_000, kv: 500, adminBatches: 125 };
const SEED = inject("fuzzSeed");

const ADMIN_TOKEN = env.ADMIN_TOKEN as string;
const READ_TOKEN = env.READ_TOKEN as string;
/**
 * Client addresses of the hook requests: few enough that the limiter of unauthenticated hook
 * requests (30 a minute per address) answers 429 to some, which must never reach a signed event.
 */
const CLIENT_ADDRESSES = 4;
const KEYS = JSON.parse(env.INGRESS_KEYS as string) as { "*": string; rotating: string[] };
const NOT_A_KEY = "fz-not-a-key-0000";
const CLUSTER = /^[a-z0-9-]{1,63}$/;
const HOOK_STATUSES = [202, 400, 401, 404, 405, 413];
const HOSTILE_MARKUP = ["<script>alert('fz')", "<img src=x onerror=alert(1)>"];

/** Every secret value of the fuzz config: ingress keys, tokens, Provider Secrets (all `fz-...`), spec.address credentials. */
const SECRET_VALUES = [...new Set([
  ...Object.entries(env as unknown as Record<string, unknown>)
    .filter(([name, value]) => (name === "INGRESS_KEYS" || name === "ADMIN_TOKEN" || name === "READ_TOKEN" || name.startsWith("SECRET__")) && typeof value === "string")
    .flatMap(([, value]) => (value as string).match(/fz-[A-Za-z0-9-]+/g) ?? []),
  ADDRESS_USERINFO.user,
  ADDRESS_USERINFO.password,
])];
/** The secrets and the encoded forms a destination echoes them in (see echoedErrorBody): none may appear anywhere. */
const SECRETS = [...new Set([
  ...SECRET_VALUES,
  ...SECRET_VALUES.map((v) => btoa(v)),
  btoa(`${ADDRESS_USERINFO.user}:${ADDRESS_USERINFO.password}`),
])];
/** The Provider Secret values the echoing destination sends back. */
const ECHOED_TOKENS = ["fz-provider-header-token-3Vn8", "fz-provider-api-key-6Hs1"];

let requestsSent = 0;
let limited = 0;
const logLines: string[] = [];
/** How many lines of the relay's two structured log kinds were seen, to prove the spy sees the objects too. */
const logKinds = { "event received": 0, "events received not logged one by one": 0, "hook request refused": 0, "delivery attempt": 0 };
let logLinesSeen = 0;
let seq = 0;
const badMarkers = new Set<string>();
let sink: CaptureBox;
let hostileBox: CaptureBox;
let echoBox: CaptureBox;
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

function stringify(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Fails on the first secret in a text; `where` says which response or log line it was. */
function expectNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) {
    if (text.includes(secret)) expect.fail(`secret ${secret.slice(0, 6)}… leaked in ${where}: ${text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 200)}`);
  }
}

/** Checks the log lines written since the last call (the Worker and its objects log to this isolate's console). */
function checkLogs(): void {
  for (; logLinesSeen < logLines.length; logLinesSeen++) {
    const line = logLines[logLinesSeen];
    expectNoSecret(line, "a log line");
    for (const kind of Object.keys(logKinds) as (keyof typeof logKinds)[]) if (line.includes(`"msg":"${kind}"`)) logKinds[kind]++;
  }
  // Keeps memory flat over 10,000 requests; the lines are checked, not kept.
  logLines.length = 0;
  logLinesSeen = 0;
}

function expectPrototypeIntact(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

/** The shared response invariants; returns the body text. */
async function checkResponse(res: Response, what: string): Promise<string> {
  // Decoded by hand: res.text() warns on every YAML answer of the admin API.
  const text = new TextDecoder().decode(await res.arrayBuffer());
  const documented503 = res.status === 503 && (what.includes(" /healthz") || (what.includes(" /hook/") && res.headers.get("retry-after") !== null));
  if (res.status >= 500 && !documented503) expect.fail(`${what} answered ${res.status}: ${text.slice(0, 500)}`);
  expectNoSecret(text, `the response to ${what}`);
  if ((res.headers.get("content-type") ?? "").includes("text/html")) {
    for (const markup of HOSTILE_MARKUP) if (text.includes(markup)) expect.fail(`${what} served hostile markup unescaped: ${markup}`);
  }
  checkLogs();
  return text;
}

function keyFor(cluster: string, which: "right" | "wrong" | "other-cluster"): string {
  if (which === "wrong") return NOT_A_KEY;
  const own = cluster === "rotating" ? KEYS.rotating[seq % 2] : KEYS["*"];
  if (which === "right") return own;
  return cluster === "rotating" ? KEYS["*"] : KEYS.rotating[0];
}

async function authHeaders(auth: Auth, cluster: string, body: Uint8Array): Promise<[string, string][]> {
  const names = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" } as const;
  switch (auth.kind) {
    case "none":
      return [];
    case "hmac": {
      const signed = auth.overOtherBody ? new Uint8Array([...body, 0x20]) : body;
      let hex = await hmacHex(names[auth.alg], keyFor(cluster, auth.key), signed);
      if (auth.upper) hex = hex.toUpperCase();
      const value = `${auth.alg}=${hex}`;
      if (auth.duplicate === "same") return [["x-signature", value], ["x-signature", value]];
      if (auth.duplicate === "wrong") return [["x-signature", value], ["x-signature", `${auth.alg}=${"0".repeat(hex.length)}`]];
      return [["x-signature", value]];
    }
    case "raw-signature":
      return [["x-signature", auth.value]];
    case "bearer":
      return [["authorization", auth.key === "empty" ? "Bearer " : `Bearer ${keyFor(cluster, auth.key)}`]];
    case "basic":
      return [["authorization", `Basic ${btoa(`flux:${keyFor(cluster, "right")}`)}`]];
    case "wrong-hmac-right-bearer":
      return [["x-signature", `sha256=${"0".repeat(64)}`], ["authorization", `Bearer ${keyFor(cluster, "right")}`]];
  }
}

async function sendHook(c: HookCase): Promise<void> {
  const n = ++seq;
  const marker = `fzmark:${c.fromOddPath ? "path" : c.verdict === "accept" ? "ok" : c.verdict === "any" ? "any" : "bad"}:${n}`;
  if (c.verdict === "unauthorized" || c.verdict === "invalid") badMarkers.add(marker);
  const body = c.body(marker);
  const cluster = /^\/hook\/([^/?]*)/.exec(c.path)?.[1] ?? "";
  const headers = new Headers(await authHeaders(c.auth, cluster, body));
  headers.set("cf-connecting-ip", `203.0.113.${n % CLIENT_ADDRESSES}`);
  if (c.contentType) headers.set("content-type", c.contentType);
  const what = `${c.method} ${c.path} (${c.verdict}, ${JSON.stringify(c.auth).slice(0, 120)}, ${body.byteLength} bytes)`;
  requestsSent++;
  const res = await exports.default.fetch(`http://relay${c.path}`, { method: c.method, headers, body: c.method === "GET" || c.method === "HEAD" ? undefined : body });
  const text = await checkResponse(res, what);
  // 429 only for requests that failed authentication (the per-address limiter), always with Retry-After.
  const expected = { accept: [202], unauthorized: [401, 429], invalid: [400], any: [...HOOK_STATUSES, 429] }[c.verdict];
  if (!expected.includes(res.status)) expect.fail(`${what} answered ${res.status}, expected ${expected.join(" or ")}: ${text.slice(0, 300)}`);
  if (res.status === 429) {
    limited++;
    if (!res.headers.get("retry-after")) expect.fail(`${what} answered 429 without Retry-After`);
  }
  if (res.status === 202) {
    const answer = JSON.parse(text) as { accepted: unknown; duplicate: unknown };
    expect(typeof answer.accepted === "number" && typeof answer.duplicate === "boolean", `${what}: 202 body ${text}`).toBe(true);
  }
}

function adminHeaders(auth: AdminCase["auth"]): Record<string, string> {
  switch (auth) {
    case "none":
      return {};
    case "wrong":
      return { authorization: "Bearer fz-wrong-admin-token" };
    case "right":
      return { authorization: `Bearer ${ADMIN_TOKEN}` };
    case "read":
      return { authorization: `Bearer ${READ_TOKEN}` };
    case "ingress-key":
      return { authorization: `Bearer ${KEYS["*"]}` };
    case "basic":
      return { authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` };
    case "lowercase":
      return { authorization: `bearer ${ADMIN_TOKEN.toLowerCase()}` };
    case "token-suffix":
      return { authorization: `Bearer ${ADMIN_TOKEN}x` };
    case "cookie":
      return { cookie: `session=${ADMIN_TOKEN}; token=${ADMIN_TOKEN}` };
  }
}

async function sendAdmin(c: AdminCase): Promise<void> {
  const what = `${c.method} ${c.path} (auth ${c.auth}${c.body === undefined ? "" : `, ${c.body.length} chars`})`;
  requestsSent++;
  const res = await exports.default.fetch(`http://relay${c.path}`, { method: c.method, headers: adminHeaders(c.auth), body: c.body });
  const text = await checkResponse(res, what);
  const pathname = new URL(c.path, "http://relay").pathname;
  const protectedPath = pathname.startsWith("/api/v1/") || pathname.startsWith("/metrics");
  if (protectedPath && c.auth !== "right" && c.auth !== "read" && res.status !== 401 && res.status !== 404) expect.fail(`${what} answered ${res.status} without the admin token: ${text.slice(0, 300)}`);
  if (protectedPath && c.auth === "read" && c.method !== "GET" && res.status !== 403 && res.status !== 404) expect.fail(`${what} answered ${res.status} to a write with the read token: ${text.slice(0, 300)}`);
}

/** Writes a Provider or Alert manifest (JSON) straight to KV. */
async function put(kind: "providers" | "alerts", name: string, spec: Record<string, unknown>): Promise<void> {
  await env.CONFIG.put(`${kind}/flux-system/${name}`, JSON.stringify({
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: kind === "providers" ? "Provider" : "Alert",
    metadata: { name, namespace: "flux-system" },
    spec,
  }));
}

async function clearHostile(): Promise<void> {
  for (const prefix of ["providers/", "alerts/"]) {
    const { keys } = await env.CONFIG.list({ prefix });
    await Promise.all(keys.filter((k) => !/^(providers|alerts)\/flux-system\/fz-(sink|hmac|headers|address|slack|echo|bad-headers)$/.test(k.name)).map((k) => env.CONFIG.delete(k.name)));
  }
}

/** Runs a property with the suite's seed; the failure message says how to replay it. */
async function check<T>(name: string, offset: number, arb: fc.Arbitrary<T>, numRuns: number, run: (value: T) => Promise<void>): Promise<void> {
  const seed = SEED + offset;
  try {
    await fc.assert(fc.asyncProperty(arb, run), { seed, numRuns });
  } catch (err) {
    throw new Error(`fuzz property "${name}" failed (seed ${seed}; replay: FUZZ_SEED=${SEED} npm run test:fuzz):\n${(err as Error).message}\n${String((err as Error).cause ?? "")}`);
  }
}

const marked = (requests: CapturedRequest[], pattern: RegExp) => requests.flatMap((r) => r.body.match(pattern) ?? []);

describe("fuzzing the relay", () => {
  beforeAll(async () => {
    // Never restored: the objects' alarms keep logging fuzzed text after the last test, and the
    // pool would forward it to Node over a WebSocket that refuses lone surrogates.
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logLines.push(args.map(stringify).join(" "));
      });
    }
    const captureUrl = inject("captureUrl");
    sink = new CaptureBox(captureUrl);
    hostileBox = new CaptureBox(captureUrl, "fz-hostile");
    const everything = EVENT_SOURCE_KINDS.map((kind) => ({ kind, name: "*" }));
    // The sink sees every event the relay accepts in flux-system, so an accepted bad event shows up there.
    await put("providers", "fz-sink", { type: "generic", address: sink.url });
    await put("alerts", "fz-sink", { providerRef: { name: "fz-sink" }, eventSources: everything });
    // Providers holding secrets, for Bucket events only: their logs, errors and status must stay clean.
    await put("providers", "fz-hmac", { type: "generic-hmac", address: sink.url, secretRef: { name: "fz-hmac" } });
    await put("providers", "fz-headers", { type: "generic", address: sink.url, secretRef: { name: "fz-headers" } });
    await put("providers", "fz-address", { type: "generic", address: "http://127.0.0.1:9/placeholder", secretRef: { name: "fz-address" } });
    await put("providers", "fz-slack", { type: "slack", address: `${sink.url}/slack`, secretRef: { name: "fz-slack" } });
    // A destination that echoes the credentials it was sent in error bodies, and a Provider whose
    // Secret's headers YAML cannot read: their problems reach status, history, dead letters and logs.
    echoBox = new CaptureBox(captureUrl, "fz-echo");
    await echoBox.program(fc.sample(echoedErrorBody({ ...ADDRESS_USERINFO, tokens: ECHOED_TOKENS }), { seed: SEED, numRuns: 400 }).map((r) => ({ ...r, times: 1 })));
    const echoAddress = echoBox.url.replace("://", `://${ADDRESS_USERINFO.user}:${ADDRESS_USERINFO.password}@`);
    await put("providers", "fz-echo", { type: "generic", address: echoAddress, secretRef: { name: "fz-headers" } });
    await put("providers", "fz-bad-headers", { type: "generic", address: sink.url, secretRef: { name: "fz-bad-headers" } });
    for (const name of ["fz-hmac", "fz-headers", "fz-address", "fz-slack", "fz-echo", "fz-bad-headers"]) {
      await put("alerts", name, { providerRef: { name }, eventSources: [{ kind: "Bucket", name: "*" }] });
    }
    expect(SECRETS.length).toBeGreaterThanOrEqual(8);
  });

  it(`${RUNS.hookBatches * BATCH} hook requests: signatures, bodies, encodings, paths`, async () => {
    await check("hook", 0, fc.array(hookCase, { minLength: BATCH, maxLength: BATCH }), RUNS.hookBatches, async (cases) => {
      await Promise.all(cases.map(sendHook));
    });
  });

  it(`${RUNS.kv} runs of hostile manifests in KV, each followed by a signed event and a read`, async () => {
    const reads = ["/api/v1/providers", "/api/v1/alerts", "/api/v1/providers?format=yaml", "/healthz", "/metrics", "/"];
    const arb = fc.tuple(fc.array(kvCase(inject("captureUrl")), { minLength: 1, maxLength: 3 }), fc.constantFrom(...reads), fc.integer({ min: 0, max: HOSTILE_SLOTS - 1 }));
    await check("kv", 1, arb, RUNS.kv, async ([entries, read, slot]) => {
      // Written together (a hostile Alert may route to a hostile Provider of the same run), removed
      // afterwards so every run reads its own documents besides the fixed configuration.
      for (const entry of entries) await env.CONFIG.put(entry.key, entry.value);
      try {
        const n = ++seq;
        const body = JSON.stringify({
          involvedObject: { kind: n % 2 ? "Bucket" : "Kustomization", name: "fz", namespace: "flux-system", apiVersion: "source.toolkit.fluxcd.io/v1" },
          severity: n % 3 ? "info" : "error",
          reason: "Fuzz",
          message: `hostile config run fzmark:ok:${n}`,
          reportingController: "source-controller",
        });
        const signature = `sha256=${await hmacHex("SHA-256", KEYS["*"], body)}`;
        const written = entries.map((e) => `${e.key} = ${e.value.slice(0, 200)}`).join("; ");
        requestsSent += 2;
        const hook = await exports.default.fetch("http://relay/hook/test", { method: "POST", headers: { "x-signature": signature }, body });
        const text = await checkResponse(hook, `POST /hook/test after writing ${written}`);
        // Hostile configuration must never cost a valid event its acceptance.
        if (hook.status !== 202) expect.fail(`a valid event was answered ${hook.status} after writing ${written}: ${text.slice(0, 300)}`);
        const target = read.startsWith("/api/v1/providers") && n % 4 === 0 ? `/api/v1/providers/flux-system/${hostileSlotName(slot)}` : read;
        await checkResponse(await exports.default.fetch(`http://relay${target}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }), `GET ${target} after writing ${written}`);
        expectPrototypeIntact();
      } finally {
        for (const entry of entries) await env.CONFIG.delete(entry.key);
      }
    });
  });

  it(`${RUNS.adminBatches * BATCH} admin-surface requests with hostile manifests, paths and credentials`, async () => {
    await check("admin", 2, fc.array(adminCase(inject("captureUrl")), { minLength: BATCH, maxLength: BATCH }), RUNS.adminBatches, async (cases) => {
      await Promise.all(cases.map(sendAdmin));
      expectPrototypeIntact();
    });
    await clearHostile();
  });

  it("delivered none of the unsigned or invalid events, drained every queue, and only well-formed cluster names", async () => {
    // Every accepted event is delivered or dead-lettered: none may sit at the head of a FIFO queue.
    // Not checked: fz-address (nothing listens on its port) and fz-slack (paced at Slack's 1/s).
    const draining = ["fz-sink", "fz-hmac", "fz-headers"];
    const depths = async () => Object.fromEntries(await Promise.all(draining.map(async (name) => {
      const res = await exports.default.fetch(`http://relay/api/v1/providers/flux-system/${name}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return [name, ((await res.json()) as { status?: { queueDepth?: number } }).status?.queueDepth] as const;
    })));
    const deadline = Date.now() + 60_000;
    let remaining = await depths();
    while (Object.values(remaining).some((d) => d !== 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      remaining = await depths();
    }
    expect(remaining, "queue depths once settled").toEqual(Object.fromEntries(draining.map((n) => [n, 0])));
    const delivered = [...(await sink.requests()), ...(await hostileBox.requests())];
    checkLogs();
    expect(marked(delivered, /fzmark:ok:\d+/g).length, "accepted events reached the sink").toBeGreaterThan(0);
    const leaked = marked(delivered, /fzmark:bad:\d+/g).filter((m) => badMarkers.has(m));
    expect(leaked, "unsigned or invalid events that were delivered").toEqual([]);
    // Events sent to odd paths carry no metadata: a delivered `cluster` comes from the path alone
    // (elsewhere an event's own `cluster` key or an Alert's eventMetadata may set it, by contract).
    const clusters = new Set<string>();
    let fromOddPaths = 0;
    for (const r of await sink.requests()) {
      if (r.path.endsWith("/slack") || !/fzmark:path:\d+/.test(r.body)) continue;
      fromOddPaths++;
      clusters.add(String((JSON.parse(r.body) as { metadata?: { cluster?: string } }).metadata?.cluster));
    }
    expect(fromOddPaths, "deliveries of events sent to odd paths (e.g. /hook/%74est)").toBeGreaterThan(0);
    // JSON text: a fuzzed cluster name may hold a lone surrogate, which the pool cannot carry raw.
    expect(JSON.stringify([...clusters].filter((c) => !CLUSTER.test(c))), "cluster names outside [a-z0-9-]{1,63}").toBe("[]");
    // The echoing destination and the unreadable headers left their problems in status, history and dead letters.
    expect((await echoBox.requests()).length, "requests the echoing destination answered").toBeGreaterThan(10);
    for (const name of ["fz-echo", "fz-bad-headers"]) {
      for (const sub of ["", "/deliveries", "/deadletters"]) {
        const res = await exports.default.fetch(`http://relay/api/v1/providers/flux-system/${name}${sub}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
        const text = await checkResponse(res, `GET ${name}${sub}`);
        expect(res.status).toBe(200);
        if (sub === "/deadletters") expect(JSON.parse(text).items.length, `${name} dead letters`).toBeGreaterThan(0);
      }
    }
    expect(limited, "unauthenticated hook requests the per-address limiter answered 429").toBeGreaterThan(0);
    // Accepted events are logged a few per second one by one (src/ingress/hook.ts), refusals always.
    expect(logKinds["event received"], "ingress log lines checked").toBeGreaterThan(100);
    expect(logKinds["events received not logged one by one"], "ingress summary lines checked").toBeGreaterThan(0);
    expect(logKinds["event received"] + logKinds["hook request refused"], "ingress log lines checked").toBeGreaterThan(1000);
    // Successful attempts are logged at most a few per second (src/delivery/provider-object.ts), failures always.
    expect(logKinds["delivery attempt"], "delivery log lines checked (Durable Object alarms)").toBeGreaterThan(100);
    expect(badMarkers.size).toBeGreaterThan(1000);
    expect(requestsSent).toBeGreaterThanOrEqual(10_000);
  });
});
