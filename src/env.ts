/**
 * Every var and secret of the Worker, parsed once and typed. A binding's raw string is parsed the
 * first time a request sees it and reused while it stays the same, so a request pays a string
 * comparison, not a JSON parse (`INGRESS_KEYS` was parsed on every hook request before).
 * Bad values never throw here: they fall back to the default and `/healthz` reports the ones that
 * make the relay unusable (`ingressKeysProblem`).
 */

/** Keys per cluster name (`*` = any cluster without its own entry); several keys = rotation. */
export type IngressKeys = ReadonlyMap<string, readonly string[]>;

export interface RelayEnv {
  /** INGRESS_KEYS, or undefined when unset or unusable (see `ingressKeysProblem`). */
  ingressKeys: IngressKeys | undefined;
  /** Why INGRESS_KEYS is unusable (every hook request is then 401), or undefined. */
  ingressKeysProblem: string | undefined;
  /** CONFIG_TTL_SECONDS (default 30; 0 = read KV on every request), in ms. */
  configTtlMs: number;
  /** DEDUP_WINDOW_SECONDS (default 300) in ms; go-limiter replaces a non-positive interval by 1 s. */
  dedupWindowMs: number;
  /** PUBLIC_URL (links in messages), "" when unset. */
  publicUrl: string;
  /** DEMO_INBOX === "true": the built-in demo destination of `npm run dev`. */
  demoInbox: boolean;
  retry: { minDelayMs: number; maxDelayMs: number; maxAgeMs: number };
  /** CLUSTER_SILENT_MINUTES (default 60) in ms: the status page flags a cluster without an event for longer. */
  clusterSilentMs: number;
  /** OUTBOX_LIMIT (default 100,000): messages queued per provider before new ones are refused. */
  outboxLimit: number;
}

/** The binding names whose raw strings determine RelayEnv. */
const SOURCES = [
  "INGRESS_KEYS",
  "CONFIG_TTL_SECONDS",
  "DEDUP_WINDOW_SECONDS",
  "PUBLIC_URL",
  "DEMO_INBOX",
  "RETRY_MIN_SECONDS",
  "RETRY_MAX_SECONDS",
  "MAX_MESSAGE_AGE_SECONDS",
  "CLUSTER_SILENT_MINUTES",
  "OUTBOX_LIMIT",
] as const;

type Raw = Partial<Record<(typeof SOURCES)[number], unknown>>;

let memo: { raw: unknown[]; parsed: RelayEnv } | undefined;

/** The parsed vars and secrets of `env` (memoised per isolate while the raw values stay the same). */
export function relayEnv(env: Env): RelayEnv {
  const source = env as unknown as Raw;
  const raw = SOURCES.map((name) => source[name]);
  if (memo && memo.raw.every((v, i) => v === raw[i])) return memo.parsed;
  const parsed = parse(source);
  memo = { raw, parsed };
  return parsed;
}

function parse(env: Raw): RelayEnv {
  const keys = parseIngressKeysValue(env.INGRESS_KEYS);
  return {
    ingressKeys: "keys" in keys ? keys.keys : undefined,
    ingressKeysProblem: "problem" in keys ? keys.problem : undefined,
    configTtlMs: seconds(env.CONFIG_TTL_SECONDS, 30, { zero: true }),
    dedupWindowMs: seconds(env.DEDUP_WINDOW_SECONDS, 300, { zero: false, nonPositive: 1 }),
    publicUrl: typeof env.PUBLIC_URL === "string" ? env.PUBLIC_URL : "",
    demoInbox: env.DEMO_INBOX === "true",
    retry: {
      minDelayMs: seconds(env.RETRY_MIN_SECONDS, 2, { zero: false }),
      maxDelayMs: seconds(env.RETRY_MAX_SECONDS, 600, { zero: false }),
      maxAgeMs: seconds(env.MAX_MESSAGE_AGE_SECONDS, 86_400, { zero: false }),
    },
    clusterSilentMs: seconds(minutesAsSeconds(env.CLUSTER_SILENT_MINUTES), 3600, { zero: false }),
    outboxLimit: positiveInteger(env.OUTBOX_LIMIT, 100_000),
  };
}

/** A minutes var as seconds for `seconds()`; unset or not a number stays so (the default applies). */
function minutesAsSeconds(value: unknown): unknown {
  return value === undefined || value === null || value === "" ? value : Number(value) * 60;
}

/**
 * A duration var in seconds, as ms. Unset or not a number: the default. `zero` allows 0;
 * `nonPositive` is what a value <= 0 means instead of the default (the dedup window's 1 s).
 */
function seconds(value: unknown, fallback: number, opts: { zero: boolean; nonPositive?: number }): number {
  if (value === undefined || value === null || value === "") return fallback * 1000;
  const n = Number(value);
  if (!Number.isFinite(n)) return fallback * 1000;
  if (n > 0 || (n === 0 && opts.zero)) return n * 1000;
  return (opts.nonPositive ?? fallback) * 1000;
}

/**
 * INGRESS_KEYS: one key for every cluster, or a JSON object mapping a cluster name (or `*`) to a
 * key or a list of keys (several keys = rotation).
 */
export function parseIngressKeysValue(value: unknown): { keys: IngressKeys } | { problem: string } {
  const text = typeof value === "string" ? value.trim() : "";
  if (!text) return { problem: "INGRESS_KEYS is not set: every hook request is refused (wrangler secret put INGRESS_KEYS)" };
  if (!text.startsWith("{")) return { keys: new Map([["*", [text]]]) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: "INGRESS_KEYS looks like JSON but does not parse" };
  }
  const out = new Map<string, string[]>();
  for (const [cluster, entry] of Object.entries(parsed as Record<string, unknown>)) {
    const keys = typeof entry === "string" ? [entry] : Array.isArray(entry) && entry.every((v) => typeof v === "string") ? (entry as string[]) : undefined;
    if (!keys) return { problem: `INGRESS_KEYS entry ${JSON.stringify(cluster)} must be a string or a list of strings` };
    out.set(cluster, keys.filter((k) => k.length > 0));
  }
  return { keys: out };
}

/** A positive integer var, or the default when unset or not one. */
function positiveInteger(value: unknown, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isSafeInteger(n) && n > 0 ? n : fallback;
}
