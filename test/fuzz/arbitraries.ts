import fc from "fast-check";
import { EVENT_SOURCE_KINDS } from "../../src/flux/manifests";
import { MAX_BODY_BYTES } from "../../src/ingress/hook";

/** Where a generated request must end up, judged by the test. */
export type Verdict =
  /** Signed, well-formed Flux event: 202. */
  | "accept"
  /** Not authenticated (missing, wrong, malformed or duplicated credentials): 401, never stored. */
  | "unauthorized"
  /** Authenticated but not a Flux event Go would decode: 400, never stored. */
  | "invalid"
  /** Anything goes except a server error (random bodies, odd paths and methods). */
  | "any";

/** One hook request as generated; the test adds the marker, signs and sends it. */
export interface HookCase {
  verdict: Verdict;
  method: string;
  /** Path below the origin, exactly as sent (percent-encoding kept). */
  path: string;
  /** Builds the body around the marker the test puts into the message. */
  body: (marker: string) => Uint8Array;
  auth: Auth;
  contentType?: string;
  /** Traversal cases: their events carry no metadata, so a delivered `cluster` can only come from the path. */
  fromOddPath?: boolean;
}

/** How the request is authenticated: the test computes real signatures at send time. */
export type Auth =
  | { kind: "none" }
  | { kind: "hmac"; alg: "sha256" | "sha384" | "sha512"; key: "right" | "wrong" | "other-cluster"; upper?: boolean; overOtherBody?: boolean; duplicate?: "same" | "wrong" }
  | { kind: "raw-signature"; value: string }
  | { kind: "bearer"; key: "right" | "wrong" | "empty" }
  | { kind: "basic" }
  | { kind: "wrong-hmac-right-bearer" };

const encoder = new TextEncoder();
const utf8 = (s: string) => encoder.encode(s);

/** JSON object text from entries, so duplicate and case-folded keys survive (JSON.stringify would merge them). */
export function objectText(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`;
}

/** Text including control characters, lone surrogates, markup and right-to-left marks. */
export const hostileText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.constantFrom(
    "<script>alert('fz')</script>", "\"><img src=x onerror=alert(1)>", "\u0000\u0001\u001f\u007f", "\u2028\u2029", "\ud800", "\udfff\ud800",
    "\u202e\u200f", "${jndi:ldap://127.0.0.1:9/x}", "{{ .Token }}", "%s%n%x", "../../../../etc/passwd", "\\u0000", "null", "__proto__",
  ),
);

const dnsName = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/);
const apiVersion = fc.constantFrom("kustomize.toolkit.fluxcd.io/v1", "helm.toolkit.fluxcd.io/v2", "source.toolkit.fluxcd.io/v1", "v1", "", "a/b/c", "event.toolkit.fluxcd.io/v1");
const metadataKey = fc.oneof(
  fc.constantFrom(
    "kustomize.toolkit.fluxcd.io/revision", "event.toolkit.fluxcd.io/revision", "event.toolkit.fluxcd.io/token", "event.toolkit.fluxcd.io/commit_status",
    "helm.toolkit.fluxcd.io/revision", "revision", "summary", "token", "commit_status", "cluster", "__proto__", "constructor", "toString", "",
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
);
const rfc3339 = fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString().replace(/\.\d{3}Z$/, "Z"));

/** The fields of a decodable Flux event, each as JSON text (values Go accepts for the field). */
export interface EventParts {
  kind: string;
  name: string;
  namespace: string;
  apiVersion: string;
  severity: string;
  reason: string;
  message: string;
  timestamp: string | null;
  metadata: [string, string][];
  reportingController: string;
  keyCase: "canonical" | "upper" | "mixed";
}

export const eventParts: fc.Arbitrary<EventParts> = fc.record({
  kind: fc.oneof(fc.constantFrom(...EVENT_SOURCE_KINDS), hostileText),
  name: fc.oneof(dnsName, hostileText),
  // Mostly the namespace the test's Alerts watch, so accepted events are also delivered.
  namespace: fc.oneof({ weight: 4, arbitrary: fc.constant("flux-system") }, { weight: 1, arbitrary: fc.oneof(dnsName, hostileText) }),
  apiVersion,
  severity: fc.constantFrom("info", "error", "trace", "", "INFO"),
  reason: hostileText,
  message: hostileText,
  timestamp: fc.option(rfc3339, { nil: null }),
  metadata: fc.array(fc.tuple(metadataKey, hostileText), { maxLength: 6 }),
  reportingController: fc.oneof(fc.constantFrom("kustomize-controller", "helm-controller", "source-controller"), hostileText),
  keyCase: fc.constantFrom("canonical", "upper", "mixed"),
});

/** Field names as Go's case-insensitive decoder still matches them. */
function field(name: string, keyCase: EventParts["keyCase"]): string {
  if (keyCase === "upper") return name.toUpperCase();
  if (keyCase === "mixed") return name.charAt(0).toUpperCase() + name.slice(1);
  return name;
}

/** The event as JSON text with `marker` appended to the message; `override` replaces fields by raw JSON. */
export function eventText(p: EventParts, marker: string, override: Record<string, string | undefined> = {}): string {
  const f = (n: string) => field(n, p.keyCase);
  const involved = objectText([
    [f("kind"), JSON.stringify(p.kind)],
    [f("name"), JSON.stringify(p.name)],
    [f("namespace"), JSON.stringify(p.namespace)],
    [f("apiVersion"), JSON.stringify(p.apiVersion)],
    [f("uid"), JSON.stringify("2f6a1c3e-7b8d-4e5f-9a0b-1c2d3e4f5a6b")],
  ]);
  const fields: [string, string | undefined][] = [
    ["involvedObject", involved],
    ["severity", JSON.stringify(p.severity)],
    ["timestamp", JSON.stringify(p.timestamp)],
    ["message", JSON.stringify(`${p.message} ${marker}`)],
    ["reason", JSON.stringify(p.reason)],
    ["metadata", objectText(p.metadata.map(([k, v]) => [k, JSON.stringify(v)]))],
    ["reportingController", JSON.stringify(p.reportingController)],
    ["reportingInstance", JSON.stringify("kustomize-controller-7f9c8d-abcde")],
  ];
  const entries = fields.map(([k, v]) => [f(k), k in override ? override[k] : v] as [string, string | undefined]);
  return objectText(entries.filter((e): e is [string, string] => e[1] !== undefined));
}

/** Changes that keep the event decodable (Go ignores unknown fields, folds key case, keeps the last duplicate). */
const benignChange = fc.oneof(
  fc.record({ kind: fc.constant("unknown-field" as const), key: fc.string({ maxLength: 20 }), value: fc.jsonValue({ maxDepth: 4 }) }),
  fc.record({ kind: fc.constant("deep-unknown" as const), depth: fc.constantFrom(100, 5_000, 100_000) }),
  fc.record({ kind: fc.constant("null-field" as const), field: fc.constantFrom("severity", "timestamp", "reason", "metadata", "involvedObject", "reportingController") }),
  fc.record({ kind: fc.constant("drop-field" as const), field: fc.constantFrom("severity", "timestamp", "reason", "metadata", "involvedObject", "reportingController", "reportingInstance") }),
);

/** Changes Go's decoder (or the contract) refuses: the event must be answered 400 and never stored. */
const breakingChange = fc.oneof(
  fc.record({ kind: fc.constant("metadata-value" as const), value: fc.oneof(fc.integer(), fc.boolean(), fc.constant([]), fc.constant({ a: "b" })).map((v) => JSON.stringify(v)) }),
  fc.record({ kind: fc.constant("field-type" as const), field: fc.constantFrom("severity", "message", "reason", "reportingController", "involvedObject", "metadata"), value: fc.constantFrom("1", "true", "[]", "[\"x\"]", "1.5e308") }),
  fc.record({ kind: fc.constant("timestamp" as const), value: fc.oneof(hostileText.filter((s) => !/^\d{4}-/.test(s)), fc.constantFrom("2026-01-15", "2026-01-15 10:20:30Z", "", "1700000000")).map((v) => JSON.stringify(v)) }),
  fc.record({ kind: fc.constant("deep-metadata" as const), depth: fc.constantFrom(2, 1_000, 100_000) }),
  fc.record({ kind: fc.constant("top-level" as const), body: fc.constantFrom("[]", "\"event\"", "42", "true", "[{}]") }),
  fc.record({ kind: fc.constant("truncated" as const), keep: fc.double({ min: 0.05, max: 0.95, noNaN: true }) }),
  fc.record({ kind: fc.constant("invalid-utf8-structure" as const), bytes: fc.constantFrom([0xff], [0xc0, 0xaf], [0xfe, 0xff]) }),
);

/** Bytes that are not UTF-8 (lone continuation, overlong, surrogates, beyond U+10FFFF, truncated sequences). */
const invalidUtf8 = fc.constantFrom([0xff], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98]);

const nested = (depth: number, leaf: string) => "[".repeat(depth) + leaf + "]".repeat(depth);

function applyBenign(p: EventParts, c: BenignChange, marker: string): string {
  const base = eventText(p, marker);
  switch (c.kind) {
    case "unknown-field":
      return `${base.slice(0, -1)},${JSON.stringify(`x-${c.key}`)}:${JSON.stringify(c.value)}}`;
    case "deep-unknown":
      return `${base.slice(0, -1)},"extra":${nested(c.depth, "1")}}`;
    case "null-field":
      return eventText(p, marker, { [c.field]: "null" });
    case "drop-field":
      return eventText(p, marker, { [c.field]: undefined });
  }
}

type BenignChange = typeof benignChange extends fc.Arbitrary<infer T> ? T : never;
type BreakingChange = typeof breakingChange extends fc.Arbitrary<infer T> ? T : never;

function applyBreaking(p: EventParts, c: BreakingChange, marker: string): Uint8Array {
  switch (c.kind) {
    case "metadata-value":
      return utf8(eventText(p, marker, { metadata: objectText([["fz", c.value]]) }));
    case "field-type":
      // A message that is not a string can carry no marker; the marker goes into the reason instead.
      return utf8(eventText({ ...p, reason: `${p.reason} ${marker}` }, marker, { [c.field]: c.value }));
    case "timestamp":
      return utf8(eventText(p, marker, { timestamp: c.value }));
    case "deep-metadata":
      return utf8(eventText(p, marker, { metadata: `{"fz":${nested(c.depth, "\"x\"")}}` }));
    case "top-level":
      return utf8(c.body === "[{}]" ? `[${eventText(p, marker)}]` : c.body);
    case "truncated": {
      const text = eventText(p, marker);
      return utf8(text.slice(0, Math.max(1, Math.floor(text.length * c.keep))));
    }
    case "invalid-utf8-structure": {
      const text = utf8(eventText(p, marker));
      return concat(text.subarray(0, 1), Uint8Array.from(c.bytes), text.subarray(1));
    }
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/** Signed with a valid credential in one of the accepted forms. */
const validAuth: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<Auth>({ kind: "hmac", alg: "sha256", key: "right" }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("hmac" as const), alg: fc.constantFrom("sha256" as const, "sha384" as const, "sha512" as const), key: fc.constant("right" as const), upper: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant<Auth>({ kind: "bearer", key: "right" }) },
);

/** Anything the ingress must refuse with 401. */
const invalidAuth: fc.Arbitrary<Auth> = fc.oneof(
  fc.constant<Auth>({ kind: "none" }),
  fc.record({ kind: fc.constant("hmac" as const), alg: fc.constantFrom("sha256" as const, "sha384" as const, "sha512" as const), key: fc.constantFrom("wrong" as const, "other-cluster" as const) }),
  fc.constant<Auth>({ kind: "hmac", alg: "sha256", key: "right", overOtherBody: true }),
  fc.record({ kind: fc.constant("hmac" as const), alg: fc.constant("sha256" as const), key: fc.constant("right" as const), duplicate: fc.constantFrom("same" as const, "wrong" as const) }),
  fc.record({
    kind: fc.constant("raw-signature" as const),
    value: fc.oneof(
      fc.constantFrom("", "sha256=", "sha1=00", "md5=abc", "sha256=zz", "sha256 = 00", "SHA256=00", "sha256=" + "0".repeat(64), "sha512=" + "f".repeat(10_000), "=", "sha256=\t00"),
      // Header values are bytes without CR, LF or NUL; fetch refuses anything else before it is sent.
      fc.string({ maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")),
    ),
  }),
  fc.constantFrom<Auth>({ kind: "bearer", key: "wrong" }, { kind: "bearer", key: "empty" }, { kind: "basic" }, { kind: "wrong-hmac-right-bearer" }),
);

const contentType = fc.option(
  fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=fz", "application/json; charset=latin1", "application/octet-stream", "*/*", "application/json;;;"),
  { nil: undefined },
);

/** `:cluster` values that must never become a cluster name (decoded they leave [a-z0-9-]{1,63}). */
export const HOSTILE_CLUSTER_PATHS = [
  "/hook/..%2Fapi%2Fv1%2Fproviders", "/hook/%2e%2e%2fapi%2fv1%2fproviders", "/hook/..%2F..%2Fhealthz", "/hook/a%2Fb", "/hook/test%2F..%2F..%2Fapi",
  "/hook/..", "/hook/%2e%2e", "/hook/.", "/hook/%2e", "/hook/..%5c..%5capi", "/hook/test%00", "/hook/TEST", "/hook/te%20st", "/hook/%ZZ",
  "/hook/%E2%80%AEtest", "/hook/test%0d%0aX-Injected:%201", `/hook/${"a".repeat(64)}`, "/hook/-%2F-", "/hook/%252e%252e%252f",
];

/** Paths around the hook that are not a single valid cluster segment. */
const oddPath = fc.constantFrom(...HOSTILE_CLUSTER_PATHS, "/hook/test/extra", "/hook//test", "/hook/", "/hook", "/hook/test/..", "/hook/test?cluster=../x", "/hook/%74est");

const cluster = fc.constantFrom("test", "rotating", "prod-eu-1");

export const hookCase: fc.Arbitrary<HookCase> = fc.oneof(
  // Signed valid events, possibly with benign changes, odd content types and invalid UTF-8 inside the message.
  { weight: 75, arbitrary: fc.record({ p: eventParts, change: fc.option(benignChange, { nil: undefined }), auth: validAuth, contentType, cluster, badBytes: fc.option(invalidUtf8, { nil: undefined }) }).map(({ p, change, auth, contentType: ct, cluster: cl, badBytes }): HookCase => ({
    verdict: "accept",
    method: "POST",
    path: `/hook/${cl}`,
    auth,
    contentType: ct,
    body: (marker) => {
      const text = change ? applyBenign(p, change, marker) : eventText(p, marker);
      if (!badBytes) return utf8(text);
      // Inside the message string: Go (and the relay) decode it as U+FFFD and accept the event.
      const at = text.indexOf(` ${marker}`);
      const bytes = utf8(text);
      const cut = utf8(text.slice(0, at)).byteLength;
      return concat(bytes.subarray(0, cut), Uint8Array.from(badBytes), bytes.subarray(cut));
    },
  })) },
  // Valid events with credentials that must be refused.
  { weight: 60, arbitrary: fc.record({ p: eventParts, auth: invalidAuth, contentType, cluster }).map(({ p, auth, contentType: ct, cluster: cl }): HookCase => ({
    verdict: "unauthorized",
    method: "POST",
    path: `/hook/${cl}`,
    auth,
    contentType: ct,
    body: (marker) => utf8(eventText(p, marker)),
  })) },
  // Signed but undecodable events.
  { weight: 60, arbitrary: fc.record({ p: eventParts, change: breakingChange, contentType }).map(({ p, change, contentType: ct }): HookCase => ({
    verdict: "invalid",
    method: "POST",
    path: "/hook/test",
    auth: { kind: "hmac", alg: "sha256", key: "right" },
    contentType: ct,
    body: (marker) => applyBreaking(p, change, marker),
  })) },
  // Random JSON and random bytes, signed.
  { weight: 30, arbitrary: fc.record({ body: fc.oneof(fc.jsonValue({ maxDepth: 5 }).map((v) => utf8(JSON.stringify(v) ?? "null")), fc.uint8Array({ maxLength: 300 })), contentType }).map(({ body, contentType: ct }): HookCase => ({
    verdict: "any",
    method: "POST",
    path: "/hook/test",
    auth: { kind: "hmac", alg: "sha256", key: "right" },
    contentType: ct,
    body: () => body,
  })) },
  // Traversal and malformed cluster segments, signed with the right key.
  { weight: 36, arbitrary: fc.record({ p: eventParts, path: oddPath, auth: fc.oneof(validAuth, invalidAuth) }).map(({ p, path, auth }): HookCase => ({
    verdict: "any",
    method: "POST",
    path,
    auth,
    fromOddPath: true,
    body: (marker) => utf8(eventText({ ...p, metadata: [] }, marker)),
  })) },
  // Other methods on the hook.
  { weight: 9, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD").map((method): HookCase => ({
    verdict: "any",
    method,
    path: "/hook/test",
    auth: { kind: "none" },
    body: () => new Uint8Array(),
  })) },
  // Bodies around the 1 MiB limit (and far beyond), signed.
  { weight: 1, arbitrary: fc.record({ p: eventParts, extra: fc.constantFrom(-1, 0, 1, 3 * 1024 * 1024) }).map(({ p, extra }): HookCase => ({
    verdict: extra <= 0 ? "accept" : "any",
    method: "POST",
    path: "/hook/test",
    auth: { kind: "hmac", alg: "sha256", key: "right" },
    body: (marker) => {
      const small = { ...p, message: "", metadata: [] as [string, string][] };
      const without = utf8(eventText(small, marker)).byteLength;
      const padding = MAX_BODY_BYTES + extra - without;
      return utf8(eventText({ ...small, message: "x".repeat(Math.max(0, padding)) }, marker));
    },
  })) },
);

// ---------------------------------------------------------------------------------------------
// Hostile configuration in KV and through the admin API

/** Slots the hostile manifests are written to: `fz-hostile-<n>`, overwritten run after run. */
export const HOSTILE_SLOTS = 4;

/**
 * Types whose request URL is the address itself (or a path below it): with the loopback addresses
 * below, no hostile Provider can make the relay reach beyond 127.0.0.1.
 */
const LOOPBACK_TYPES = ["generic", "generic-hmac", "slack", "msteams", "discord", "rocket", "googlechat", "webex", "lark", "matrix", "alertmanager", "grafana"] as const;

/** Secrets of vitest.fuzz.config.ts (all loopback or address-free) plus one that does not exist. */
const SECRET_REFS = ["fz-hmac", "fz-headers", "fz-address", "fz-slack", "fz-bad-headers", "fz-missing"] as const;

/** Basic credentials in a Provider's spec.address (no binding holds them): the test adds them to its secrets. */
export const ADDRESS_USERINFO = { user: "fz-address-user-Bn40", password: "fz-address-password-Qw83" };

const huge = fc.constantFrom(64 * 1024, 1024 * 1024).map((n) => "<script>alert('fz')</script>".padEnd(n, "\u0007x"));
const hostileValue = fc.oneof({ weight: 30, arbitrary: hostileText }, { weight: 1, arbitrary: huge });
const hostileName = fc.oneof(dnsName, hostileText, fc.constantFrom("..", "../x", "a/b", "__proto__", "constructor", "x".repeat(300)));
const hostileRegex = fc.oneof(hostileText, fc.constantFrom("(a+)+$", "(?i)fz", "[", "\\", "(?P<n>x)", "(?=x)", "\\1", "x{1001}", "((((((((((((((((((((x))))))))))))))))))))", ".*", "\\pL", "[[:alpha:]]"), fc.constant("(x|".repeat(2000) + ")".repeat(2000)));
// Many keys, but not 10,000: yaml's duplicate-key check is quadratic (10,000 keys cost 0.2-2 s per
// parse), and the relay parses every manifest at each config load; see bench/results/analysis.md.
const labels = fc.oneof({ weight: 4, arbitrary: fc.dictionary(hostileText, hostileText, { maxKeys: 4 }) }, { weight: 1, arbitrary: fc.constant(Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`l${i}`, "v"]))) });

export function hostileSlotName(slot: number): string {
  return `fz-hostile-${slot}`;
}

export function providerDocument(slot: number, captureUrl: string) {
  return fc.record({
    apiVersion: fc.constantFrom("notification.toolkit.fluxcd.io/v1beta3", "notification.toolkit.fluxcd.io/v1beta2", "notification.toolkit.fluxcd.io/v1", "v1"),
    kind: fc.constantFrom("Provider", "Provider", "Alert", "Secret"),
    metadata: fc.record({
      name: fc.oneof({ weight: 4, arbitrary: fc.constant(hostileSlotName(slot)) }, { weight: 1, arbitrary: hostileName }),
      namespace: fc.oneof({ weight: 4, arbitrary: fc.constant("flux-system") }, { weight: 1, arbitrary: hostileName }),
      uid: hostileText,
      generation: fc.oneof(fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER)),
      annotations: fc.dictionary(fc.oneof(hostileText, fc.constant("reconcile.fluxcd.io/requestedAt")), hostileValue, { maxKeys: 3 }),
      labels,
    }, { requiredKeys: ["name"] }),
    spec: fc.record({
      type: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...LOOPBACK_TYPES) }, { weight: 1, arbitrary: hostileText }),
      address: fc.constantFrom(
        `${captureUrl}/box/fz-hostile`, "http://127.0.0.1:9/x", "javascript:alert(1)", "", "not a url", "http://[::1]:9/", `http://user:pw@127.0.0.1:9/`,
        `http://${ADDRESS_USERINFO.user}:${ADDRESS_USERINFO.password}@127.0.0.1:9/x`, `${captureUrl.replace("://", `://${ADDRESS_USERINFO.user}:${encodeURIComponent(ADDRESS_USERINFO.password)}@`)}/box/fz-hostile`,
      ),
      channel: hostileValue,
      username: hostileText,
      secretRef: fc.record({ name: fc.oneof(fc.constantFrom(...SECRET_REFS), hostileName) }),
      timeout: fc.oneof(fc.constantFrom("1s", "500ms", "1m30s", "0s"), hostileText),
      suspend: fc.oneof(fc.boolean(), hostileText),
      proxy: fc.constantFrom("http://127.0.0.1:9", "socks5://x"),
      certSecretRef: fc.record({ name: hostileName }),
      interval: hostileText,
    }, { requiredKeys: ["type", "address"] }),
  }, { requiredKeys: ["apiVersion", "kind", "metadata", "spec"] });
}

export function alertDocument(slot: number) {
  return fc.record({
    apiVersion: fc.constantFrom("notification.toolkit.fluxcd.io/v1beta3", "notification.toolkit.fluxcd.io/v1beta2", "v9"),
    kind: fc.constantFrom("Alert", "Alert", "Provider"),
    metadata: fc.record({
      name: fc.oneof({ weight: 4, arbitrary: fc.constant(hostileSlotName(slot)) }, { weight: 1, arbitrary: hostileName }),
      namespace: fc.oneof({ weight: 4, arbitrary: fc.constant("flux-system") }, { weight: 1, arbitrary: hostileName }),
      labels,
    }, { requiredKeys: ["name"] }),
    spec: fc.record({
      providerRef: fc.record({ name: fc.oneof(fc.constantFrom("fz-sink", ...Array.from({ length: HOSTILE_SLOTS }, (_, i) => hostileSlotName(i))), hostileName) }),
      eventSeverity: fc.constantFrom("info", "error", "warning", ""),
      eventSources: fc.array(fc.record({
        kind: fc.oneof(fc.constantFrom(...EVENT_SOURCE_KINDS), hostileText),
        name: fc.oneof(fc.constant("*"), hostileName),
        namespace: fc.oneof(fc.constantFrom("flux-system", "*", ""), hostileName),
        matchLabels: fc.dictionary(hostileText, hostileText, { maxKeys: 2 }),
      }, { requiredKeys: ["kind", "name"] }), { maxLength: 4 }),
      inclusionList: fc.array(hostileRegex, { maxLength: 3 }),
      exclusionList: fc.array(hostileRegex, { maxLength: 3 }),
      eventMetadata: fc.dictionary(fc.oneof(hostileText, fc.constantFrom("cluster", "summary", "revision", "__proto__")), hostileValue, { maxKeys: 4 }),
      summary: hostileValue,
      suspend: fc.oneof(fc.boolean(), hostileText),
    }, { requiredKeys: ["providerRef", "eventSources"] }),
  }, { requiredKeys: ["apiVersion", "kind", "metadata", "spec"] });
}

/** Documents no serializer produces: alias bombs, prototype keys, tags, deep nesting, broken YAML. */
function rawDocument(kind: "Provider" | "Alert", slot: number): fc.Arbitrary<string> {
  const head = `apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: ${kind}\nmetadata:\n  name: ${hostileSlotName(slot)}\n  namespace: flux-system\n`;
  const spec = kind === "Provider" ? "spec:\n  type: generic\n  address: http://127.0.0.1:9/x\n" : "spec:\n  providerRef:\n    name: fz-sink\n  eventSources:\n    - kind: Bucket\n      name: '*'\n";
  const laughs = (levels: number) => {
    const lines = [`l0: &l0 [${Array(9).fill('"lol"').join(",")}]`];
    for (let i = 1; i < levels; i++) lines.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(",")}]`);
    return lines.join("\n");
  };
  return fc.constantFrom(
    `${laughs(9)}\n${head}  annotations:\n    bomb: *l8\n${spec}`,
    `${head}  annotations: {a: &a [x, x, x], b: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]}\n${spec}`,
    `base: &base\n  type: generic\n  address: http://127.0.0.1:9/x\n${head}spec:\n  <<: *base\n  suspend: true\n`,
    `__proto__:\n  polluted: fz\n${head}${spec}`,
    `${head}  __proto__:\n    polluted: fz\n  labels:\n    __proto__: {polluted: fz}\n${spec}`,
    `${head}${spec}  __proto__: {polluted: fz}\n  constructor: {prototype: {polluted: fz}}\n`,
    JSON.stringify({ apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind }).replace("{", `{"__proto__":{"polluted":"fz"},"constructor":{"prototype":{"polluted":"fz"}},`),
    `${head}  annotations:\n    fn: !!js/function "function () { return 1 }"\n    bin: !!binary aGVsbG8=\n    obj: !!python/object:os.system [id]\n    custom: !fz {a: 1}\n    set: !!set {a, b}\n${spec}`,
    `${head}  annotations:\n    deep: ${"[".repeat(5000)}${"]".repeat(5000)}\n${spec}`,
    `${head}  annotations:\n    deep: ${"{a: ".repeat(3000)}x${"}".repeat(3000)}\n${spec}`,
    `${head}${spec}---\n${head}${spec}`,
    `\ufeff${head}${spec}`.replace(/\n/g, "\r\n"),
    `${head}  annotations:\n    ctl: "\\0\\x07\\e\\u2028"\n    raw: a\u0000b\n${spec}`,
    `${head}\tspec: {}\n`,
    `{"apiVersion":"notification.toolkit.fluxcd.io/v1beta3","kind":"${kind}","kind":"Secret","metadata":{"name":"${hostileSlotName(slot)}"}}`,
    "", "null", "[]", "42", "~", "!!binary ////", "{", `*undefined_alias\n`, "? [a, b]\n: complex key\n",
    `${head}  name: ${"x".repeat(300)}\n${spec}`,
  );
}

/** A KV entry (key and raw value) that the relay must survive reading. */
export interface KvCase {
  key: string;
  value: string;
}

export function kvCase(captureUrl: string): fc.Arbitrary<KvCase> {
  const slot = fc.integer({ min: 0, max: HOSTILE_SLOTS - 1 });
  const serialized = (doc: fc.Arbitrary<unknown>) =>
    fc.tuple(doc, fc.constantFrom("json", "yaml")).map(([d, format]) => (format === "json" ? JSON.stringify(d) : yamlish(d)));
  return fc.oneof(
    { weight: 4, arbitrary: slot.chain((s) => serialized(providerDocument(s, captureUrl)).map((value) => ({ key: `providers/flux-system/${hostileSlotName(s)}`, value }))) },
    { weight: 4, arbitrary: slot.chain((s) => serialized(alertDocument(s)).map((value) => ({ key: `alerts/flux-system/${hostileSlotName(s)}`, value }))) },
    { weight: 3, arbitrary: slot.chain((s) => fc.constantFrom("Provider" as const, "Alert" as const).chain((kind) => rawDocument(kind, s).map((value) => ({ key: `${kind === "Provider" ? "providers" : "alerts"}/flux-system/${hostileSlotName(s)}`, value })))) },
    // Keys the admin API could never write.
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("providers/", "alerts/"), fc.constantFrom("flux-system/..", "../../x", "a/b/c", "/x", "flux-system/", "x", "flux-system/%2e%2e", "\u0000/\u0000"), slot).map(([prefix, rest]) => ({ key: `${prefix}${rest}`, value: "kind: Provider\nspec: {type: generic, address: http://127.0.0.1:9/}\n" })) },
  );
}

/** YAML for a generated document, quoting everything so hostile strings stay strings. */
function yamlish(value: unknown, indent = ""): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return value.length === 0 ? "[]" : value.map((v) => `\n${indent}- ${yamlish(v, `${indent}  `).trimStart()}`).join("");
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return entries.map(([k, v]) => `\n${indent}${JSON.stringify(k)}: ${yamlish(v, `${indent}  `)}`).join("");
}

/** One admin-surface request: `auth` says which credential, the test fills in the real values. */
export interface AdminCase {
  method: string;
  path: string;
  auth: "none" | "wrong" | "right" | "read" | "ingress-key" | "basic" | "lowercase" | "token-suffix" | "cookie";
  body?: string;
}

export function adminCase(captureUrl: string): fc.Arbitrary<AdminCase> {
  const slot = fc.integer({ min: 0, max: HOSTILE_SLOTS - 1 });
  const auth = fc.oneof({ weight: 5, arbitrary: fc.constant("right" as const) }, { weight: 2, arbitrary: fc.constant("read" as const) }, { weight: 3, arbitrary: fc.constantFrom("none" as const, "wrong" as const, "ingress-key" as const, "basic" as const, "lowercase" as const, "token-suffix" as const, "cookie" as const) });
  const name = fc.oneof(slot.map(hostileSlotName), fc.constantFrom("fz-sink", "fz-address", "..%2F..%2Fhealthz", "%2e%2e", "a%2Fb", "missing", "%00", "x".repeat(300)));
  const ns = fc.constantFrom("flux-system", "flux-system", "..", "%2e%2e", "default");
  const query = fc.constantFrom("", "?format=yaml", "?limit=1", "?limit=-1", "?limit=1e9", "?limit=abc", "?format=%00");
  const reads = fc.tuple(fc.constantFrom("providers", "alerts"), ns, name, fc.constantFrom("", "/deliveries", "/deadletters", "/status"), query)
    .map(([kind, n, nm, sub, q]) => ({ method: "GET", path: `/api/v1/${kind}/${n}/${nm}${kind === "providers" ? sub : ""}${q}` }));
  const lists = fc.tuple(fc.constantFrom("/api/v1/providers", "/api/v1/alerts", "/api/v1/openapi.json", "/metrics", "/healthz", "/", "/api/v1/", "/api/v1/../../healthz", "/api/v2/providers", "/favicon.ico"), query)
    .map(([p, q]) => ({ method: "GET", path: `${p}${q}` }));
  const writes = fc.oneof(
    slot.chain((s) => fc.tuple(fc.oneof(providerDocument(s, captureUrl), rawDocument("Provider", s)), fc.constantFrom("json", "yaml"))
      .map(([doc, format]) => ({ method: "PUT", path: `/api/v1/providers/flux-system/${hostileSlotName(s)}`, body: typeof doc === "string" ? doc : format === "json" ? JSON.stringify(doc) : yamlish(doc) }))),
    slot.chain((s) => fc.tuple(fc.oneof(alertDocument(s), rawDocument("Alert", s)), fc.constantFrom("json", "yaml"))
      .map(([doc, format]) => ({ method: "PUT", path: `/api/v1/alerts/flux-system/${hostileSlotName(s)}`, body: typeof doc === "string" ? doc : format === "json" ? JSON.stringify(doc) : yamlish(doc) }))),
    fc.tuple(fc.constantFrom("providers", "alerts"), ns, fc.constantFrom("..%2F..%2Fx", "%2e%2e", "A_B", "x".repeat(300)), fc.jsonValue({ maxDepth: 3 }))
      .map(([kind, n, nm, v]) => ({ method: "PUT", path: `/api/v1/${kind}/${n}/${nm}`, body: JSON.stringify(v) ?? "null" })),
    fc.tuple(fc.constantFrom("providers", "alerts"), slot).map(([kind, s]) => ({ method: "DELETE", path: `/api/v1/${kind}/flux-system/${hostileSlotName(s)}` })),
    fc.tuple(fc.oneof(slot.map(hostileSlotName), fc.constant("fz-address")), fc.constantFrom("suspend", "resume", "test", "deadletters/replay", "deadletters/discard"), fc.option(fc.oneof(hostileText, fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"), fc.constantFrom('{"ids":[1,2,-1]}', '{"ids":"x"}', '{"ids":[1e308]}')), { nil: undefined }))
      .map(([nm, action, body]) => ({ method: "POST", path: `/api/v1/providers/flux-system/${nm}/${action}`, body })),
  );
  return fc.record({ request: fc.oneof({ weight: 3, arbitrary: reads }, { weight: 3, arbitrary: lists }, { weight: 4, arbitrary: writes }), auth })
    .map(({ request, auth: a }) => ({ ...request, auth: a }));
}

/**
 * The error body of a destination that echoes credentials back, in the forms a server or library
 * writes them: as is, Basic base64 of user:password, URL-encoded, JSON-escaped (`\/`), in an
 * address's userinfo, and padded so that some straddle the 200-character cut of the excerpt.
 */
export function echoedErrorBody(secrets: { user: string; password: string; tokens: string[] }): fc.Arbitrary<{ status: number; body: string }> {
  const forms = fc.oneof(
    fc.constantFrom(...secrets.tokens),
    fc.constant(`Basic ${btoa(`${secrets.user}:${secrets.password}`)}`),
    fc.constantFrom(...secrets.tokens, secrets.password).map((t) => encodeURIComponent(t)),
    fc.constantFrom(...secrets.tokens, secrets.password).map((t) => `"${JSON.stringify(t).slice(1, -1).replace(/\//g, "\\/")}"`),
    fc.constantFrom(...secrets.tokens).map((t) => `https://${secrets.user}:${encodeURIComponent(t)}@upstream.example/`),
    fc.constantFrom(...secrets.tokens).map((t) => btoa(`x:${t}`)),
  );
  return fc.record({
    status: fc.constantFrom(400, 401, 403, 404, 422, 500),
    parts: fc.array(fc.tuple(fc.nat({ max: 190 }), forms, hostileText), { minLength: 1, maxLength: 4 }),
  }).map(({ status, parts }) => ({ status, body: parts.map(([pad, form, noise]) => `${"e".repeat(pad)}${form} ${noise}`).join(" ") }));
}
