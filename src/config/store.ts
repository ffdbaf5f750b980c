import { parseManifest, type AlertManifest, type ManifestKind, type ProviderManifest } from "../flux/manifests";
import { relayEnv } from "../env";
import { RelayError } from "../lib/errors";
import { parseStoredSilence, SILENCE_PREFIX, type Silence } from "../rules/silences";

/** A KV entry that could not be loaded: reported in status and /healthz, never fatal for the rest. */
export interface InvalidEntry {
  key: string;
  kind: ManifestKind;
  details: string[];
}

/** All Providers and Alerts as of one read of KV. */
export interface ConfigSnapshot {
  /** Keyed by `<namespace>/<name>`. */
  providers: Map<string, ProviderManifest>;
  alerts: AlertManifest[];
  invalid: InvalidEntry[];
  /** Every stored silence, expired ones included (KV removes them a week after they end). */
  silences: Silence[];
  loadedAt: number;
}

export const PREFIX: Record<ManifestKind, string> = { Provider: "providers/", Alert: "alerts/" };

/** KV key of a manifest: `providers/<ns>/<name>` or `alerts/<ns>/<name>` (contract). */
export function configKey(kind: ManifestKind, namespace: string, name: string): string {
  return `${PREFIX[kind]}${namespace}/${name}`;
}

let cached: { snapshot: ConfigSnapshot; expiresAt: number } | undefined;
/** When a request of this isolate started the reload in progress (0: none). */
let reloadStartedAt = 0;
/** A reload still running after this long is taken as abandoned (its request was cancelled). */
const RELOAD_GRACE_MS = 10_000;
/** Bumped by invalidateConfig, so a reload that began before an admin write cannot store its older snapshot. */
let generation = 0;

/**
 * The configuration, read from KV at most once per `CONFIG_TTL_SECONDS` per isolate (0 = every
 * call). Invalid manifests are collected in `invalid`; valid ones route as usual. While one
 * request re-reads an expired snapshot, the others keep using the previous one rather than each
 * reading every manifest too (the bench saw 32 concurrent reloads stall the ingress for 6 s).
 * They cannot await that request's reload instead: Workers refuses I/O on behalf of another
 * request, and the waiting requests hang until the runtime cancels them (found by fuzzing).
 */
export async function loadConfig(env: Env, now = Date.now()): Promise<ConfigSnapshot> {
  if (cached && now < cached.expiresAt) return cached.snapshot;
  const ttlMs = relayEnv(env).configTtlMs;
  if (cached && ttlMs > 0 && now - reloadStartedAt < RELOAD_GRACE_MS) return cached.snapshot;
  reloadStartedAt = now;
  const started = generation;
  try {
    const snapshot = await readConfig(env, now);
    if (started === generation) cached = { snapshot, expiresAt: now + ttlMs };
    return snapshot;
  } finally {
    if (started === generation) reloadStartedAt = 0;
  }
}

/**
 * The isolate's last snapshot even when expired, else a first load: for answers that must not
 * cost a KV read per unauthenticated request (/healthz).
 */
export async function lastConfig(env: Env): Promise<ConfigSnapshot> {
  return cached?.snapshot ?? loadConfig(env);
}

async function readConfig(env: Env, now: number): Promise<ConfigSnapshot> {
  const [providers, alerts, silences] = await Promise.all([readAll(env.CONFIG, "Provider"), readAll(env.CONFIG, "Alert"), readSilences(env.CONFIG)]);
  return {
    providers: new Map(providers.valid.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p as ProviderManifest])),
    alerts: alerts.valid as AlertManifest[],
    invalid: [...providers.invalid, ...alerts.invalid],
    silences,
    loadedAt: now,
  };
}

/** Forgets the isolate's snapshot so a write through the admin API takes effect at once here. */
export function invalidateConfig(): void {
  cached = undefined;
  reloadStartedAt = 0;
  generation++;
}

async function listKeys(kv: KVNamespace, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix, cursor });
    keys.push(...page.keys.map((k) => k.name));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return keys;
}

async function readSilences(kv: KVNamespace): Promise<Silence[]> {
  const keys = await listKeys(kv, SILENCE_PREFIX);
  const values = await Promise.all(keys.map((key) => kv.get(key)));
  return values.map(parseStoredSilence).filter((s) => s !== undefined);
}

async function readAll(kv: KVNamespace, kind: ManifestKind) {
  const keys = await listKeys(kv, PREFIX[kind]);
  const values = await Promise.all(keys.map((key) => kv.get(key)));
  const valid: (ProviderManifest | AlertManifest)[] = [];
  const invalid: InvalidEntry[] = [];
  keys.forEach((key, i) => {
    const result = parseStored(kind, key, values[i]);
    if ("manifest" in result) valid.push(result.manifest);
    else invalid.push(result);
  });
  return { valid, invalid };
}

/** Parses one stored value against its key (`<prefix><ns>/<name>`). */
export function parseStored(kind: ManifestKind, key: string, value: string | null): { manifest: ProviderManifest | AlertManifest } | InvalidEntry {
  const parts = key.slice(PREFIX[kind].length).split("/");
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    return { key, kind, details: [`key: must be ${PREFIX[kind]}<namespace>/<name>`] };
  }
  if (value === null) return { key, kind, details: ["(document): the key has no value"] };
  try {
    return { manifest: parseManifest(kind, value, { namespace: parts[0], name: parts[1] }) };
  } catch (err) {
    return { key, kind, details: err instanceof RelayError ? err.details : [String(err)] };
  }
}

/** One Provider straight from KV (used by its Durable Object, which must see edits promptly). */
export async function loadProvider(env: Env, namespace: string, name: string): Promise<{ manifest?: ProviderManifest; invalid?: InvalidEntry }> {
  const key = configKey("Provider", namespace, name);
  const value = await env.CONFIG.get(key);
  if (value === null) return {};
  const result = parseStored("Provider", key, value);
  return "manifest" in result ? { manifest: result.manifest as ProviderManifest } : { invalid: result };
}
