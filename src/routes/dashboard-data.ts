import { loadConfig, type InvalidEntry } from "../config/store";
import { alertConditions } from "../delivery/alert-status";
import { providerStub } from "../delivery/provider-stub";
import type { Condition } from "../delivery/status";
import type { ProviderManifest } from "../flux/manifests";
import { relayEnv } from "../env";
import type { ClusterView } from "../ingress/cluster-object";
import { log } from "../lib/log";
import { silenceState, type Silence } from "../rules/silences";
import { OUTCOMES, type DeadLetter, type DeadLetterDetail, type DeliveryRecord, type ProviderRuntimeStatus } from "./api-schemas";
import { listClusters } from "./clusters";

/**
 * The status page's view model: everything the page shows, gathered from the configuration and
 * the Durable Objects in one place and typed for display, so the markup
 * (src/routes/dashboard-view.tsx) never reads an object's own shapes.
 */

/** The words of docs/operations.md ("Outcome vocabulary"), shared by history, API, logs and metrics. */
export { OUTCOMES };
export type Outcome = (typeof OUTCOMES)[number];

/** A provider's state in one word, shown with its colour and its text. */
export type ProviderState = "Ready" | "Degraded" | "Suspended" | "Stalled";

export interface ProviderRow {
  id: string;
  namespace: string;
  name: string;
  type: string;
  state: ProviderState;
  /** The condition behind the state (reason and message of Ready, or why it is suspended). */
  reason: string;
  message: string;
  suspendedBySpec: boolean;
  suspendedByApi: boolean;
  queueDepth: number;
  oldestQueuedAt: number | null;
  nextAttemptAt: number | null;
  deadLetters: number;
  lastDeliveryAt: number | null;
  lastError: { at: number; message: string } | null;
  counters: { delivered: number; retried: number; deadLettered: number; dropped: number };
  /** Deliveries and failures (retried + dead-lettered) per hour of the HOURS_SHOWN drawn, oldest first. */
  hourly: { hour: number; delivered: number; failed: number }[];
  /** Attempt latency quantiles over attempts that reached the network; null when there were none. */
  latency: { p50Ms: number; p99Ms: number } | null;
}

export interface ClusterRow {
  name: string;
  lastEventAt: number | null;
  /** No event for longer than CLUSTER_SILENT_MINUTES. */
  silent: boolean;
  counts: { accepted: number; duplicate: number; unmatched: number; invalid: number };
  backlog: number;
  lastError: { at: number; message: string } | null;
  hourly: { hour: number; accepted: number; duplicate: number; unmatched: number; invalid: number }[];
}

export interface AttemptRow {
  at: number;
  attempt: number;
  outcome: Outcome;
  status: number | null;
  /** null for an attempt that never reached the network (no request was sent). */
  latencyMs: number | null;
  error: string | null;
}

export interface DeadLetterRow extends DeadLetter {
  provider: string;
  /** The event as received, when the provider's object still has it. */
  event: { kind: string; namespace: string; name: string; severity: string; reason: string; message: string; metadata: Record<string, string> } | null;
  /** Every attempt with the destination's answer, oldest first. */
  history: AttemptRow[] | null;
}

export interface DeliveryRow extends AttemptRow {
  provider: string;
  /** Empty for test sends. */
  cluster: string;
  alert: string | null;
  summary: string;
  test: boolean;
}

export interface DeliveryFilter {
  cluster?: string;
  provider?: string;
  outcome?: Outcome;
  page: number;
}

export interface SilenceRow {
  id: string;
  /** `cluster=prod-*, kind=HelmRelease` */
  matchers: string;
  endsAt: number;
  createdBy: string;
  comment: string;
}

/** One thing that needs attention now, linking to the row that explains it. */
export interface AttentionItem {
  severity: "bad" | "warn";
  text: string;
  href: string;
}

export interface DashboardData {
  now: number;
  /** Admin session: buttons and forms are shown. A read-only session sees the same page without them. */
  canWrite: boolean;
  flash?: string;
  attention: AttentionItem[];
  clusters: { available: boolean; silentAfterMinutes: number; items: ClusterRow[] };
  providers: ProviderRow[];
  alerts: { id: string; provider: string; severity: string; sources: string; suspended: boolean; conditions: Omit<Condition, "lastTransitionTime">[] }[];
  deadLetters: { total: number; items: DeadLetterRow[] };
  deliveries: { items: DeliveryRow[]; filter: DeliveryFilter; hasMore: boolean; clusters: string[]; providers: string[] };
  silences: SilenceRow[];
  invalid: InvalidEntry[];
}

export const DELIVERIES_PER_PAGE = 25;
/** History rows a provider keeps (src/delivery/provider-object.ts): a filtered listing reads them all. */
const HISTORY_KEPT = 1000;
const DEAD_LETTERS_SHOWN = 20;
const HOURS_SHOWN = 24;

/** Reads the deliveries filter from the page's query parameters; unknown values are ignored. */
export function deliveryFilter(query: Record<string, string | undefined>): DeliveryFilter {
  const page = Number(query.page);
  const outcome = OUTCOMES.find((o) => o === query.outcome);
  return {
    cluster: query.cluster || undefined,
    provider: query.provider || undefined,
    outcome,
    page: Number.isInteger(page) && page >= 1 && page <= HISTORY_KEPT / DELIVERIES_PER_PAGE ? page : 1,
  };
}

/**
 * Everything the page shows: one Durable Object call per provider (status and history together)
 * and per cluster, plus one per dead letter shown.
 */
export async function gatherDashboard(env: Env, opts: { filter: DeliveryFilter; canWrite: boolean; now?: number }): Promise<DashboardData> {
  const now = opts.now ?? Date.now();
  const config = await loadConfig(env);
  const manifests = [...config.providers.values()];
  const filter = opts.filter;
  // Without a cluster or outcome filter the newest rows of each provider suffice; with one, a
  // page can only be filled from the whole kept history.
  const historyRows = filter.cluster || filter.outcome ? HISTORY_KEPT : filter.page * DELIVERIES_PER_PAGE + 1;
  const hoursSince = lastHours(now)[0];
  const read = await Promise.all(manifests.map((m) => {
    const listed = !filter.provider || filter.provider === `${m.metadata.namespace}/${m.metadata.name}`;
    return readProvider(env, m, { historyLimit: listed ? historyRows : 0, hoursSince });
  }));
  const providers = read.map((r) => r.row);
  const statusById = new Map(read.map((r) => [r.row.id, r.status]));
  const [deadLetters, clusters] = await Promise.all([gatherDeadLetters(env, providers), gatherClusters(env, now)]);
  const deliveries = deliveryRows(read.map((r) => r.deliveries), providers, filter);
  const silences = silenceRows(config.silences, now);
  const alerts = config.alerts.map((alert) => {
    const providerStatus = statusById.get(`${alert.metadata.namespace}/${alert.spec.providerRef.name}`);
    return {
      id: `${alert.metadata.namespace}/${alert.metadata.name}`,
      provider: alert.spec.providerRef.name,
      severity: alert.spec.eventSeverity,
      sources: alert.spec.eventSources.map((s) => `${s.kind}/${s.namespace ? `${s.namespace}/` : ""}${s.name}`).join(", "),
      suspended: alert.spec.suspend,
      conditions: alertConditions({ alert, providerFound: !!providerStatus, providerStatus, dispatchFailures: [] }).conditions,
    };
  });
  const data: Omit<DashboardData, "attention"> = {
    now,
    canWrite: opts.canWrite,
    clusters,
    providers: sortProblemsFirst(providers),
    alerts,
    deadLetters,
    deliveries,
    silences,
    invalid: config.invalid,
  };
  return { ...data, attention: attention(data) };
}

/** One provider's row and the history rows asked for, from one call to its object. */
async function readProvider(env: Env, manifest: ProviderManifest, read: { historyLimit: number; hoursSince: number }): Promise<{ row: ProviderRow; status: ProviderRuntimeStatus; deliveries: DeliveryRow[] }> {
  const ref = { namespace: manifest.metadata.namespace, name: manifest.metadata.name };
  const { status, deliveries } = await providerStub(env, ref).overview(ref, manifest, read);
  const ready = status.conditions.find((c) => c.type === "Ready");
  const stalled = status.conditions.find((c) => c.type === "Stalled" && c.status === "True");
  const suspendedBySpec = manifest.spec.suspend;
  const suspended = suspendedBySpec || status.suspended;
  const state: ProviderState = stalled ? "Stalled" : suspended ? "Suspended" : ready?.status === "True" ? "Ready" : "Degraded";
  const shown = stalled ?? ready;
  const row: ProviderRow = {
    id: `${ref.namespace}/${ref.name}`,
    namespace: ref.namespace,
    name: ref.name,
    type: manifest.spec.type,
    state,
    reason: state === "Suspended" ? (suspendedBySpec ? "spec.suspend" : "suspended through the admin API") : (shown?.reason ?? "Unknown"),
    message: state === "Suspended" ? "new events are dropped and counted; queued ones wait" : (shown?.message ?? ""),
    suspendedBySpec,
    suspendedByApi: status.suspended,
    queueDepth: status.queueDepth,
    oldestQueuedAt: status.oldestQueuedAt,
    nextAttemptAt: status.nextAttemptAt,
    deadLetters: status.deadLetters,
    lastDeliveryAt: status.lastDeliveryAt,
    lastError: status.lastError,
    counters: { delivered: status.counters.delivered, retried: status.counters.retried, deadLettered: status.counters.deadLettered, dropped: status.counters.dropped },
    hourly: status.hourly,
    latency: status.latency.p50Ms === null || status.latency.p99Ms === null ? null : { p50Ms: Math.round(status.latency.p50Ms), p99Ms: Math.round(status.latency.p99Ms) },
  };
  const history = deliveries.map((r): DeliveryRow => ({ ...attemptRow(r), provider: row.id, cluster: r.cluster, alert: r.alert, summary: r.summary, test: r.test || outcomeOf(r).test }));
  return { row, status, deliveries: history };
}

const STATE_ORDER: Record<ProviderState, number> = { Stalled: 0, Degraded: 1, Suspended: 2, Ready: 3 };

/** Problems first, then by how much waits, then by name. */
function sortProblemsFirst(providers: ProviderRow[]): ProviderRow[] {
  return [...providers].sort((a, b) =>
    STATE_ORDER[a.state] - STATE_ORDER[b.state] || b.deadLetters - a.deadLetters || b.queueDepth - a.queueDepth || a.id.localeCompare(b.id));
}

/**
 * History rows name outcomes in the vocabulary of docs/operations.md; rows written by earlier
 * versions used `retry`, `dead-letter` and `test`, and are shown in today's words.
 */
export function outcomeOf(record: Pick<DeliveryRecord, "outcome" | "error" | "status">): { outcome: Outcome; test: boolean } {
  const stored = record.outcome as string;
  if (stored === "retry") return { outcome: "retried", test: false };
  if (stored === "dead-letter") return { outcome: "dead-lettered", test: false };
  if (stored === "test") return { outcome: record.error === null || (record.status !== null && record.status < 300) ? "delivered" : "failed", test: true };
  const known = OUTCOMES.find((o) => o === stored);
  return { outcome: known ?? "failed", test: false };
}

/** An attempt that sent nothing (configuration problem, missing secret) has no latency to show. */
function attemptRow(record: DeliveryRecord): AttemptRow {
  const reachedNetwork = record.status !== null || record.latencyMs > 0;
  return { at: record.at, attempt: record.attempt, ...outcomeOf(record), status: record.status, latencyMs: reachedNetwork ? record.latencyMs : null, error: record.error };
}

/** The page of deliveries the filter asks for, from the history rows read per provider. */
function deliveryRows(lists: DeliveryRow[][], providers: ProviderRow[], filter: DeliveryFilter): DashboardData["deliveries"] {
  const rows = lists.flat()
    .filter((r) => (!filter.cluster || r.cluster === filter.cluster) && (!filter.outcome || r.outcome === filter.outcome))
    .sort((a, b) => b.at - a.at);
  const start = (filter.page - 1) * DELIVERIES_PER_PAGE;
  return {
    items: rows.slice(start, start + DELIVERIES_PER_PAGE),
    filter,
    hasMore: rows.length > start + DELIVERIES_PER_PAGE,
    clusters: [...new Set(lists.flat().map((r) => r.cluster).filter((c): c is string => !!c))].sort(),
    providers: providers.map((p) => p.id).sort(),
  };
}

async function gatherDeadLetters(env: Env, providers: ProviderRow[]): Promise<DashboardData["deadLetters"]> {
  const withDead = providers.filter((p) => p.deadLetters > 0);
  const lists = await Promise.all(withDead.map(async (p) => {
    const letters = await providerStub(env, { namespace: p.namespace, name: p.name }).deadLetters(DEAD_LETTERS_SHOWN);
    return letters.map((d) => ({ ...d, provider: p }));
  }));
  const shown = lists.flat().sort((a, b) => b.failedAt - a.failedAt).slice(0, DEAD_LETTERS_SHOWN);
  // The event and the attempts of each letter shown, so it can be read before a replay.
  const items = await Promise.all(shown.map(async ({ provider, ...letter }): Promise<DeadLetterRow> => {
    // The RPC type of an unknown-valued record is `never`; the object returns DeadLetterDetail.
    const detail = (await providerStub(env, { namespace: provider.namespace, name: provider.name }).deadLetter(letter.id)) as DeadLetterDetail | undefined;
    return { ...letter, provider: provider.id, event: detail ? eventFacts(detail.event) : null, history: detail ? attemptHistory(detail) : null };
  }));
  return { total: providers.reduce((n, p) => n + p.deadLetters, 0), items };
}

/** The fields of a Flux event the page shows (the stored event is the one that would be sent). */
function eventFacts(event: Record<string, unknown>): DeadLetterRow["event"] {
  const object = (event.involvedObject ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  const metadata = typeof event.metadata === "object" && event.metadata !== null ? event.metadata as Record<string, unknown> : {};
  return {
    kind: text(object.kind), namespace: text(object.namespace), name: text(object.name),
    severity: text(event.severity), reason: text(event.reason), message: text(event.message),
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
  };
}

/** Every attempt of a dead letter: the last one dead-lettered it, the ones before were retried. */
function attemptHistory(detail: DeadLetterDetail): AttemptRow[] {
  return detail.attemptLog.map((a, i) => ({
    at: a.at,
    attempt: a.attempt,
    outcome: i === detail.attemptLog.length - 1 ? "dead-lettered" : "retried",
    status: a.status,
    latencyMs: a.status !== null || a.latencyMs > 0 ? a.latencyMs : null,
    error: a.error,
  }));
}

/** Per-cluster views from each cluster's intake object (src/routes/clusters.ts); unavailable if one does not answer. */
async function gatherClusters(env: Env, now: number): Promise<DashboardData["clusters"]> {
  const silentAfterMinutes = relayEnv(env).clusterSilentMs / 60_000;
  const views = await listClusters(env).catch((err) => {
    log("warn", "status page: cluster views unavailable", { error: String(err) });
    return null;
  });
  if (!views) return { available: false, silentAfterMinutes, items: [] };
  return { available: true, silentAfterMinutes, items: clusterRows(views, now, silentAfterMinutes) };
}

/** Silent clusters first (longest silence first), then by name. */
export function clusterRows(views: ClusterView[], now: number, silentAfterMinutes: number): ClusterRow[] {
  const silentMs = silentAfterMinutes * 60_000;
  return views
    .map((v) => ({ ...v, silent: v.lastEventAt === null || now - v.lastEventAt > silentMs }))
    .sort((a, b) => Number(b.silent) - Number(a.silent) || (a.silent ? (a.lastEventAt ?? 0) - (b.lastEventAt ?? 0) : 0) || a.name.localeCompare(b.name));
}

/** Active silences (pending and expired ones are the silences API's business), ending soonest first. */
function silenceRows(silences: Silence[], now: number): SilenceRow[] {
  return silences
    .filter((s) => silenceState(s, now) === "active")
    .map((s) => ({
      id: s.id,
      matchers: Object.entries(s.matchers).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join(", "),
      endsAt: Date.parse(s.endsAt),
      createdBy: s.createdBy,
      comment: s.comment,
    }))
    .sort((a, b) => a.endsAt - b.endsAt);
}

/** The header strip: what needs attention now, worst first, each linking to its row. */
export function attention(data: Omit<DashboardData, "attention">): AttentionItem[] {
  const items: AttentionItem[] = [];
  for (const p of data.providers.filter((p) => p.state === "Stalled" || p.state === "Degraded")) {
    items.push({ severity: "bad", text: `${p.id}: ${p.state} (${p.reason})`, href: `#provider-${p.id}` });
  }
  if (data.deadLetters.total > 0) items.push({ severity: "bad", text: plural(data.deadLetters.total, "dead letter"), href: "#deadletters" });
  for (const c of data.clusters.items.filter((c) => c.silent)) {
    items.push({ severity: "warn", text: `cluster ${c.name} silent ${c.lastEventAt === null ? "(no event yet)" : `for ${span(data.now - c.lastEventAt)}`}`, href: `#cluster-${c.name}` });
  }
  const oldest = data.providers.filter((p) => p.queueDepth > 0 && p.oldestQueuedAt !== null).sort((a, b) => a.oldestQueuedAt! - b.oldestQueuedAt!)[0];
  if (oldest) items.push({ severity: "warn", text: `oldest queued message ${span(data.now - oldest.oldestQueuedAt!)} old (${oldest.id})`, href: `#provider-${oldest.id}` });
  for (const p of data.providers.filter((p) => p.state === "Suspended")) {
    items.push({ severity: "warn", text: `${p.id}: Suspended`, href: `#provider-${p.id}` });
  }
  if (data.silences.length > 0) items.push({ severity: "warn", text: plural(data.silences.length, "active silence"), href: "#silences" });
  if (data.invalid.length > 0) items.push({ severity: "bad", text: plural(data.invalid.length, "invalid manifest"), href: "#invalid" });
  return items;
}

/** "1 provider", "2 providers". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** A duration in the largest whole unit: "45 s", "12 min", "3 h", "2 d". */
export function span(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

/** The last HOURS_SHOWN hour starts, oldest first, for sparklines. */
export function lastHours(now: number): number[] {
  const current = Math.floor(now / 3_600_000) * 3_600_000;
  return Array.from({ length: HOURS_SHOWN }, (_, i) => current - (HOURS_SHOWN - 1 - i) * 3_600_000);
}
