import { DurableObject } from "cloudflare:workers";
import { loadConfig, loadProvider, type ConfigSnapshot } from "../config/store";
import { relayEnv } from "../env";
import { resolveProvider, type ResolvedProvider } from "../notifiers/factory";
import type { FluxEvent } from "../flux/event";
import { API_GROUP, CHANGE_REQUEST_TYPES, COMMIT_STATUS_TYPES, type AlertManifest, type ProviderManifest, type ProviderType } from "../flux/manifests";
import { log } from "../lib/log";
import { redact } from "../lib/redact";
import { notifierFor } from "../notifiers/registry";
import { runExchange, sendRequest } from "../notifiers/transport";
import { canThread } from "../notifiers/slack";
import { FormatError, hasExchange, isSkip, type Classification, type Notifier, type NotifyContext, type ResponseSnapshot, type SlackThreadReply } from "../notifiers/types";
import { withTemplates } from "../rules/message-template";
import { countDecision, createDecisionCountTable, readDecisionCounts, type DecisionCount } from "./decision-counts";
import { createLatencyTable, observeLatency, readLatency, type LatencyHistogram } from "./metrics-store";
import { createSlackThreadTable, recordThread, threadReply } from "./slack-threads";
import type { ForwardedDelivery } from "./outbox-item";
import { nextDelayMs, type RetryPolicy } from "./retry-policy";
import { providerConditions, type Condition } from "./status";

/**
 * What one delivery needs when it is attempted. Rows stored before cluster intake carry the whole
 * Alert; rows forwarded by a ClusterObject (ForwardedDelivery) name it and it is loaded then.
 */
export interface OutboxPayload {
  event: FluxEvent;
  alert?: AlertManifest;
  cluster?: string;
  test?: boolean;
  /** The Slack thread this notice replies in (src/delivery/slack-threads.ts). */
  thread?: SlackThreadReply;
}

/** An outbox row's payload as stored: a ForwardedDelivery, or the older whole-Alert shape. */
type StoredPayload = OutboxPayload | ForwardedDelivery;

export interface ProviderRef {
  namespace: string;
  name: string;
}

export interface Counters {
  received: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  dropped: number;
  skipped: number;
}

/** One attempt as shown by the deliveries API and the dashboard (secrets redacted). */
export interface DeliveryRecord {
  id: number;
  at: number;
  messageId: number | null;
  attempt: number;
  outcome: "delivered" | "retry" | "dead-letter" | "skipped" | "test" | "suppressed" | "silenced";
  status: number | null;
  latencyMs: number;
  error: string | null;
  alert: string | null;
  /** The sending cluster ("" for test sends and rows from before cluster intake). */
  cluster: string;
  summary: string;
}

export interface DeadLetter {
  id: number;
  enqueuedAt: number;
  failedAt: number;
  attempts: number;
  reason: string;
  alert: string | null;
  cluster: string;
  summary: string;
}

/** The relay's own status fields, beside Flux's conditions. */
export interface ProviderRuntimeStatus {
  conditions: Condition[];
  observedGeneration: number;
  lastHandledReconcileAt?: string;
  suspended: boolean;
  queueDepth: number;
  deadLetters: number;
  oldestQueuedAt: number | null;
  nextAttemptAt: number | null;
  lastDeliveryAt: number | null;
  lastError: { at: number; message: string } | null;
  counters: Counters;
}

export interface TestOutcome {
  outcome: DeliveryRecord["outcome"] | "failed";
  status: number | null;
  latencyMs: number;
  error: string | null;
}

const HISTORY_LIMIT = 1000;
const DEAD_LETTER_LIMIT = 10_000;
const DRAIN_BUDGET_MS = 20_000;

type Row = Record<string, SqlStorageValue>;

/** How one delivery attempt ended. */
interface AttemptResult {
  classification: Classification;
  status?: number;
  latencyMs: number;
  skipped?: string;
  sent?: boolean;
  dispatchError?: boolean;
  remember?: { key: string; state: string };
  /** The destination's answer (chat.postMessage's thread `ts` is read from it). */
  response?: ResponseSnapshot;
  /** The Alert's template failed: Flux's message was used, and the history row says why. */
  templateError?: string;
}

/**
 * One Durable Object per Provider (`idFromName("<ns>/<name>")`): a durable FIFO outbox drained by
 * an alarm, retries with backoff, dead letters, suspend flag, delivery history and status.
 * Outbox rows are the truth; the alarm always points at the earliest due work.
 */
export class ProviderObject extends DurableObject<Env> {
  private policy: RetryPolicy;
  /** How long resolved settings are reused: the same CONFIG_TTL_SECONDS bound as the ingress. */
  private settingsTtlMs: number;
  private resolved?: { at: number; ref: ProviderRef; manifest?: ProviderManifest; provider?: ResolvedProvider; missing: boolean };
  private lastSentAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const parsed = relayEnv(env);
    this.policy = parsed.retry;
    this.settingsTtlMs = parsed.configTtlMs;
    this.ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT, ingress_id TEXT, payload TEXT NOT NULL,
        enqueued_at INTEGER NOT NULL, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT);
      CREATE UNIQUE INDEX IF NOT EXISTS outbox_ingress ON outbox(ingress_id);
      CREATE TABLE IF NOT EXISTS dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL, enqueued_at INTEGER NOT NULL,
        failed_at INTEGER NOT NULL, attempts INTEGER NOT NULL, reason TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, message_id INTEGER, attempt INTEGER NOT NULL,
        outcome TEXT NOT NULL, status INTEGER, latency_ms INTEGER NOT NULL, error TEXT, alert TEXT, summary TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS remembered (key TEXT PRIMARY KEY, state TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS alert_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, alert TEXT NOT NULL, at INTEGER NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS intake_marks (cluster TEXT PRIMARY KEY, seq INTEGER NOT NULL);
    `);
    // Additive migration: the sending cluster of each history row.
    const columns = this.sql<{ name: string }>`PRAGMA table_info(deliveries)`;
    if (!columns.some((c) => c.name === "cluster")) this.ctx.storage.sql.exec("ALTER TABLE deliveries ADD COLUMN cluster TEXT NOT NULL DEFAULT ''");
    createLatencyTable(this.ctx.storage.sql);
    createDecisionCountTable(this.ctx.storage.sql);
    createSlackThreadTable(this.ctx.storage.sql);
    this.lastSentAt = Number(this.getState("last_sent_at") ?? 0);
  }

  /** Bound SQL: every value goes through a parameter, never into the query text. */
  private sql<T = Row>(strings: TemplateStringsArray, ...values: SqlStorageValue[]): T[] {
    const query = strings.reduce((acc, s, i) => acc + s + (i < values.length ? "?" : ""), "");
    return this.ctx.storage.sql.exec(query, ...values).toArray() as T[];
  }

  private getState(key: string): string | undefined {
    return this.sql<{ value: string }>`SELECT value FROM state WHERE key = ${key}`[0]?.value;
  }

  private setState(key: string, value: string): void {
    this.sql`INSERT INTO state (key, value) VALUES (${key}, ${value}) ON CONFLICT(key) DO UPDATE SET value = excluded.value`;
  }

  private counters(): Counters {
    const stored = this.getState("counters");
    return { received: 0, delivered: 0, retried: 0, deadLettered: 0, dropped: 0, skipped: 0, ...(stored ? JSON.parse(stored) : {}) };
  }

  private bump(field: keyof Counters, by = 1): void {
    const c = this.counters();
    c[field] += by;
    this.setState("counters", JSON.stringify(c));
  }

  private remember(ref: ProviderRef): void {
    if (this.getState("ref") === undefined) this.setState("ref", JSON.stringify(ref));
  }

  private ref(): ProviderRef | undefined {
    const stored = this.getState("ref");
    return stored ? (JSON.parse(stored) as ProviderRef) : undefined;
  }

  private isSuspended(): boolean {
    return this.getState("suspended") === "true";
  }

  /**
   * Stores deliveries forwarded by a cluster's intake log, in one transaction, and arms the alarm.
   * Idempotent by ForwardedDelivery.id (`<cluster>/<intake seq>/<alert ns>/<alert name>`): a
   * ClusterObject forwards each cluster's rows in intake order and never splits one intake row's
   * deliveries to a provider, so the highest sequence stored per cluster (`intake_marks`) tells a
   * re-forward after a crash from new rows, even once the first copy was delivered and deleted.
   * Items decided at intake (suppressed, silenced) are recorded in the history and not queued. A
   * suspended provider drops them (Flux semantics) and counts them.
   */
  async enqueue(ref: ProviderRef, items: ForwardedDelivery[], now = Date.now()): Promise<{ queued: number; dropped: number; refused: number }> {
    const result = this.ctx.storage.transactionSync(() => {
      this.remember(ref);
      const marks = new Map<string, number>();
      const fresh = items.filter((item) => {
        const seq = Number(item.id.split("/")[1]);
        if (!marks.has(item.cluster)) marks.set(item.cluster, this.sql<{ seq: number }>`SELECT seq FROM intake_marks WHERE cluster = ${item.cluster}`[0]?.seq ?? 0);
        return !(seq <= marks.get(item.cluster)!);
      });
      for (const item of fresh) {
        const seq = Number(item.id.split("/")[1]);
        if (seq > marks.get(item.cluster)!) marks.set(item.cluster, seq);
      }
      for (const [cluster, seq] of marks) {
        this.sql`INSERT INTO intake_marks (cluster, seq) VALUES (${cluster}, ${seq}) ON CONFLICT(cluster) DO UPDATE SET seq = MAX(seq, excluded.seq)`;
      }
      if (this.isSuspended()) {
        this.bump("dropped", fresh.length);
        return { queued: 0, dropped: fresh.length, refused: 0 };
      }
      let queued = 0;
      for (const item of fresh) {
        if (item.decision) {
          this.sql`INSERT INTO deliveries (at, message_id, attempt, outcome, status, latency_ms, error, alert, cluster, summary)
            VALUES (${now}, ${null}, ${0}, ${item.decision.outcome}, ${null}, ${0}, ${item.decision.reason}, ${`${item.alert.namespace}/${item.alert.name}`}, ${item.cluster}, ${summarize(item.event)})`;
          countDecision(this.ctx.storage.sql, item, item.decision);
          continue;
        }
        const inserted = this.sql`INSERT INTO outbox (ingress_id, payload, enqueued_at, due_at) VALUES (${item.id}, ${JSON.stringify(item)}, ${now}, ${now})
          ON CONFLICT(ingress_id) DO NOTHING RETURNING id`;
        queued += inserted.length;
      }
      this.bump("received", queued);
      this.trimHistory();
      return { queued, dropped: 0, refused: 0 };
    });
    if (result.queued > 0) await this.armAt(now);
    return result;
  }

  /** Points the alarm at `at` unless it already fires earlier. */
  private async armAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    const started = Date.now();
    const ref = this.ref();
    if (!ref || this.isSuspended()) return;
    for (;;) {
      const head = this.sql<{ id: number; payload: string; enqueued_at: number; due_at: number; attempts: number }>`
        SELECT id, payload, enqueued_at, due_at, attempts FROM outbox ORDER BY id LIMIT 1`[0];
      if (!head) return;
      const now = Date.now();
      if (head.due_at > now) return this.armAt(head.due_at);
      if (now - started > DRAIN_BUDGET_MS) return this.armAt(now);
      const provider = await this.provider(ref, now);
      const pace = provider.provider?.paceMs ?? 0;
      if (pace > 0 && now < this.lastSentAt + pace) return this.armAt(this.lastSentAt + pace);
      await this.deliverHead(head, provider);
    }
  }

  /** The provider as configured now (KV + secrets), re-read at most every few seconds. */
  private async provider(ref: ProviderRef, now: number, fresh = false) {
    if (fresh || !this.resolved || now - this.resolved.at >= this.settingsTtlMs) {
      const loaded = await loadProvider(this.env, ref.namespace, ref.name);
      this.resolved = {
        at: now,
        ref,
        manifest: loaded.manifest,
        provider: loaded.manifest ? resolveProvider(loaded.manifest, this.env) : undefined,
        missing: !loaded.manifest,
      };
      if (loaded.invalid) {
        this.resolved.provider = {
          problems: [{ reason: "ValidationFailed", message: `invalid Provider manifest: ${loaded.invalid.details.join("; ")}`, stalled: true }],
          secrets: [],
        };
      }
    }
    return this.resolved;
  }

  private async deliverHead(
    head: { id: number; payload: string; enqueued_at: number; attempts: number },
    provider: NonNullable<ProviderObject["resolved"]>,
  ): Promise<void> {
    const stored = JSON.parse(head.payload) as StoredPayload;
    const payload = await this.resolvePayload(stored);
    const settings = provider.provider?.settings;
    const threadKey = "id" in stored && stored.threadKey && settings && canThread(settings) ? stored.threadKey : undefined;
    if (threadKey) payload.thread = threadReply(this.ctx.storage.sql, threadKey, payload.event);
    const attempt = head.attempts + 1;
    const result = await this.attempt(payload, provider);
    const alert = alertName(stored);
    const cluster = stored.cluster ?? "";
    const summary = summarize(payload.event);
    const finished = Date.now();
    const tooOld = finished - head.enqueued_at > this.policy.maxAgeMs;
    this.ctx.storage.transactionSync(() => {
      const record = (outcome: DeliveryRecord["outcome"], error: string | null) =>
        this.sql`INSERT INTO deliveries (at, message_id, attempt, outcome, status, latency_ms, error, alert, cluster, summary)
          VALUES (${finished}, ${head.id}, ${attempt}, ${outcome}, ${result.status ?? null}, ${result.latencyMs}, ${error}, ${alert}, ${cluster}, ${summary})`;
      const c = result.classification;
      if (c.outcome === "delivered" || result.skipped) {
        this.sql`DELETE FROM outbox WHERE id = ${head.id}`;
        record(result.skipped ? "skipped" : "delivered", [result.skipped, result.templateError].filter(Boolean).join("; ") || null);
        if (threadKey && result.sent) recordThread(this.ctx.storage.sql, threadKey, payload.event, payload.thread !== undefined, result.response?.body, finished);
        if (result.remember) this.sql`INSERT INTO remembered (key, state, at) VALUES (${result.remember.key}, ${result.remember.state}, ${finished})
          ON CONFLICT(key) DO UPDATE SET state = excluded.state, at = excluded.at`;
        this.bump(result.skipped ? "skipped" : "delivered");
        this.setState("last_delivery_at", String(finished));
      } else if (c.outcome === "permanent" || tooOld) {
        const reason = c.outcome === "permanent" ? c.reason : `gave up after ${attempt} attempts over ${Math.round((finished - head.enqueued_at) / 1000)} s: ${c.reason}`;
        this.sql`DELETE FROM outbox WHERE id = ${head.id}`;
        this.sql`INSERT INTO dead_letters (payload, enqueued_at, failed_at, attempts, reason) VALUES (${head.payload}, ${head.enqueued_at}, ${finished}, ${attempt}, ${reason})`;
        record("dead-letter", reason);
        this.bump("deadLettered");
        this.setState("last_error", JSON.stringify({ at: finished, message: reason }));
        if (alert && result.dispatchError) {
          this.sql`INSERT INTO alert_events (alert, at, reason, message) VALUES (${alert}, ${finished}, ${"NotificationDispatchFailed"}, ${reason})`;
        }
      } else {
        const due = finished + nextDelayMs(this.policy, attempt, c.retryAfterMs);
        this.sql`UPDATE outbox SET attempts = ${attempt}, due_at = ${due}, last_error = ${c.reason} WHERE id = ${head.id}`;
        record("retry", c.reason);
        this.bump("retried");
        this.setState("last_error", JSON.stringify({ at: finished, message: c.reason }));
      }
      this.trimHistory();
      if (result.sent) observeLatency(this.ctx.storage.sql, result.latencyMs);
    });
    if (result.sent) {
      this.lastSentAt = finished;
      this.setState("last_sent_at", String(finished));
    }
    log(result.classification.outcome === "delivered" ? "info" : "warn", "delivery attempt", {
      provider: `${provider.ref.namespace}/${provider.ref.name}`,
      type: provider.manifest?.spec.type,
      alert,
      cluster,
      event: summary,
      attempt,
      outcome: result.skipped ? "skipped" : result.classification.outcome,
      status: result.status,
      latencyMs: result.latencyMs,
      error: result.classification.outcome === "delivered" ? undefined : result.classification.reason,
      templateError: result.templateError,
    });
  }

  /**
   * The Alert of a forwarded delivery, as configured now (the isolate's config snapshot); an Alert
   * deleted since intake becomes a manifest with just its name, namespace and provider, so the
   * delivery still goes out as it was routed.
   */
  private async resolvePayload(stored: StoredPayload): Promise<OutboxPayload> {
    if (!("id" in stored)) return stored;
    const { namespace, name } = stored.alert;
    const config = await loadConfig(this.env);
    const alert = alertsByName(config).get(`${namespace}/${name}`) ?? {
      apiVersion: `${API_GROUP}/v1beta3` as const,
      kind: "Alert" as const,
      metadata: { namespace, name },
      spec: { providerRef: { name: this.ref()?.name ?? "" }, eventSeverity: "info" as const, eventSources: [], inclusionList: [], exclusionList: [], eventMetadata: {}, suspend: false },
    };
    return { event: stored.event, alert, cluster: stored.cluster };
  }

  /**
   * One delivery attempt for a payload: resolve, format, skip identical remembered state, send,
   * classify; or, for a notifier with an exchange, that whole conversation. Never throws: every
   * failure becomes a classification with a redacted reason.
   */
  private async attempt(payload: OutboxPayload, provider: NonNullable<ProviderObject["resolved"]>): Promise<AttemptResult> {
    const resolved = provider.provider;
    if (provider.missing || !resolved) return { classification: { outcome: "permanent", reason: "provider no longer exists in KV" }, latencyMs: 0 };
    // A missing Secret may still be added: retry until max age (Reconciling). Any other problem
    // makes the provider unusable until its config changes: dead-letter with the reason.
    const secretMissing = resolved.problems.find((p) => p.reason === "SecretNotFound");
    if (secretMissing) return { classification: { outcome: "retry", reason: secretMissing.message }, latencyMs: 0 };
    const problem = resolved.problems[0];
    if (problem || !resolved.settings) {
      const reason = problem ? `${problem.reason}: ${problem.message}` : "provider is not usable";
      return { classification: { outcome: "permanent", reason }, latencyMs: 0, dispatchError: true };
    }
    const settings = resolved.settings;
    const { ctx, templateError } = withTemplates({ event: payload.event, settings, alert: payload.alert, cluster: payload.cluster, now: Date.now(), thread: payload.thread });
    const result = await this.formatAndSend(notifierFor(settings.type)!, ctx, resolved.secrets);
    return templateError ? { ...result, templateError } : result;
  }

  /** Formats and sends one request (or runs the notifier's exchange) for a prepared context. */
  private async formatAndSend(notifier: Notifier, ctx: NotifyContext, secrets: string[]): Promise<AttemptResult> {
    const { settings } = ctx;
    let request;
    try {
      if (hasExchange(notifier)) return await runExchange(notifier, ctx, settings.timeoutMs, secrets);
      request = await notifier.format(ctx);
    } catch (err) {
      const message = redact(err instanceof FormatError ? err.message : `formatter failed: ${String(err)}`, secrets);
      return { classification: { outcome: "permanent", reason: message }, latencyMs: 0, dispatchError: true };
    }
    if (isSkip(request)) return { classification: { outcome: "delivered" }, latencyMs: 0, skipped: request.skip };
    if (request.remember) {
      const known = this.sql<{ state: string }>`SELECT state FROM remembered WHERE key = ${request.remember.key}`[0];
      if (known?.state === request.remember.state) {
        return { classification: { outcome: "delivered" }, latencyMs: 0, skipped: "identical status already posted" };
      }
    }
    const outcome = await sendRequest(notifier, request, settings.timeoutMs, secrets);
    return { ...outcome, sent: true, remember: request.remember };
  }

  private trimHistory(): void {
    this.sql`DELETE FROM deliveries WHERE id <= (SELECT MAX(id) FROM deliveries) - ${HISTORY_LIMIT}`;
    this.sql`DELETE FROM dead_letters WHERE id <= (SELECT MAX(id) FROM dead_letters) - ${DEAD_LETTER_LIMIT}`;
  }

  /** Operator suspend/resume (effective suspend = spec.suspend OR this flag). */
  async setSuspended(ref: ProviderRef, suspended: boolean): Promise<void> {
    this.remember(ref);
    this.setState("suspended", String(suspended));
    if (!suspended) {
      const head = this.sql<{ due_at: number }>`SELECT due_at FROM outbox ORDER BY id LIMIT 1`[0];
      if (head) await this.armAt(Math.max(Date.now(), head.due_at));
    }
  }

  async status(ref: ProviderRef): Promise<ProviderRuntimeStatus> {
    this.remember(ref);
    const now = Date.now();
    const provider = await this.provider(ref, now, true);
    const queue = this.sql<{ depth: number; oldest: number | null }>`SELECT COUNT(*) AS depth, MIN(enqueued_at) AS oldest FROM outbox`[0];
    const head = this.sql<{ due_at: number; attempts: number; last_error: string | null }>`SELECT due_at, attempts, last_error FROM outbox ORDER BY id LIMIT 1`[0];
    const deadLetters = this.sql<{ n: number }>`SELECT COUNT(*) AS n FROM dead_letters`[0].n;
    const lastError = this.getState("last_error");
    const manifest = provider.manifest;
    const conditions = providerConditions({
      problems: provider.provider?.problems ?? [],
      failing: head && head.attempts > 0 ? (head.last_error ?? "delivery failing") : undefined,
      previous: JSON.parse(this.getState("conditions") ?? "[]") as Condition[],
      now,
    });
    this.setState("conditions", JSON.stringify(conditions));
    const lastDelivery = this.getState("last_delivery_at");
    return {
      conditions,
      observedGeneration: manifest?.metadata.generation ?? 1,
      lastHandledReconcileAt: manifest?.metadata.annotations?.["reconcile.fluxcd.io/requestedAt"],
      suspended: this.isSuspended(),
      queueDepth: queue.depth,
      deadLetters,
      oldestQueuedAt: queue.oldest,
      nextAttemptAt: head ? head.due_at : null,
      lastDeliveryAt: lastDelivery ? Number(lastDelivery) : null,
      lastError: lastError ? JSON.parse(lastError) : null,
      counters: this.counters(),
    };
  }

  /** Events held back by noise control and silences, per cluster, Alert and rule (src/delivery/decision-counts.ts). */
  async decisionCounts(): Promise<DecisionCount[]> {
    return readDecisionCounts(this.ctx.storage.sql);
  }

  /** Status, the delivery latency histogram and the decision counts, in one call per provider for /metrics. */
  async metrics(ref: ProviderRef): Promise<{ status: ProviderRuntimeStatus; latency: LatencyHistogram; decisions: DecisionCount[] }> {
    return { status: await this.status(ref), latency: readLatency(this.ctx.storage.sql), decisions: readDecisionCounts(this.ctx.storage.sql) };
  }

  async deliveries(limit = 100): Promise<DeliveryRecord[]> {
    return this.sql<Row>`SELECT * FROM deliveries ORDER BY id DESC LIMIT ${Math.min(limit, HISTORY_LIMIT)}`.map((r) => ({
      cluster: String(r.cluster ?? ""),
      id: Number(r.id),
      at: Number(r.at),
      messageId: r.message_id === null ? null : Number(r.message_id),
      attempt: Number(r.attempt),
      outcome: r.outcome as DeliveryRecord["outcome"],
      status: r.status === null ? null : Number(r.status),
      latencyMs: Number(r.latency_ms),
      error: r.error as string | null,
      alert: r.alert as string | null,
      summary: String(r.summary),
    }));
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    return this.sql<Row>`SELECT id, payload, enqueued_at, failed_at, attempts, reason FROM dead_letters ORDER BY id LIMIT ${limit}`.map((r) => {
      const payload = JSON.parse(String(r.payload)) as StoredPayload;
      return {
        cluster: payload.cluster ?? "",
        id: Number(r.id),
        enqueuedAt: Number(r.enqueued_at),
        failedAt: Number(r.failed_at),
        attempts: Number(r.attempts),
        reason: String(r.reason),
        alert: alertName(payload),
        summary: summarize(payload.event),
      };
    });
  }

  /** Moves dead letters (all, or the given ids) back to the tail of the outbox, in their order. */
  async replayDeadLetters(ids?: number[]): Promise<{ replayed: number }> {
    const now = Date.now();
    const replayed = this.ctx.storage.transactionSync(() => {
      const rows = this.sql<{ id: number; payload: string }>`SELECT id, payload FROM dead_letters ORDER BY id`.filter((r) => !ids || ids.includes(r.id));
      for (const row of rows) {
        this.sql`INSERT INTO outbox (payload, enqueued_at, due_at) VALUES (${row.payload}, ${now}, ${now})`;
        this.sql`DELETE FROM dead_letters WHERE id = ${row.id}`;
      }
      return rows.length;
    });
    if (replayed > 0) await this.armAt(now);
    return { replayed };
  }

  async discardDeadLetters(ids?: number[]): Promise<{ discarded: number }> {
    return this.ctx.storage.transactionSync(() => {
      const rows = this.sql<{ id: number }>`SELECT id FROM dead_letters`.filter((r) => !ids || ids.includes(r.id));
      for (const row of rows) this.sql`DELETE FROM dead_letters WHERE id = ${row.id}`;
      return { discarded: rows.length };
    });
  }

  /** Dispatch failures recorded against an Alert (`<ns>/<name>`), newest first. */
  async alertEvents(alert: string, limit = 20): Promise<{ at: number; reason: string; message: string }[]> {
    return this.sql<{ at: number; reason: string; message: string }>`SELECT at, reason, message FROM alert_events WHERE alert = ${alert} ORDER BY id DESC LIMIT ${limit}`;
  }

  /**
   * Sends a clearly marked test event right away through the same format/send/classify path as
   * queued events (not queued, not paced) and records it in the delivery history.
   */
  async testSend(ref: ProviderRef): Promise<TestOutcome> {
    this.remember(ref);
    const now = Date.now();
    const provider = await this.provider(ref, now, true);
    const event = testEvent(ref, now);
    const result = await this.attempt({ event, test: true }, provider);
    const c = result.classification;
    let error = c.outcome === "delivered" ? (result.skipped ?? null) : c.reason;
    const type = provider.provider?.settings?.type;
    const gap = type && testEventGap(type);
    if (gap && c.outcome !== "delivered" && result.dispatchError && !provider.provider?.problems.length) error = `${gap}: ${c.reason}`;
    this.sql`INSERT INTO deliveries (at, message_id, attempt, outcome, status, latency_ms, error, alert, cluster, summary)
      VALUES (${Date.now()}, ${null}, ${1}, ${"test"}, ${result.status ?? null}, ${result.latencyMs}, ${error}, ${null}, ${""}, ${summarize(event)})`;
    return { outcome: c.outcome === "delivered" ? (result.skipped ? "skipped" : "delivered") : "failed", status: result.status ?? null, latencyMs: result.latencyMs, error };
  }
}

/** `<ns>/<name>` of a stored payload's Alert, in either shape (null for a test send). */
function alertName(payload: StoredPayload): string | null {
  if ("id" in payload) return `${payload.alert.namespace}/${payload.alert.name}`;
  return payload.alert ? `${payload.alert.metadata.namespace}/${payload.alert.metadata.name}` : null;
}

const alertIndexes = new WeakMap<ConfigSnapshot, Map<string, AlertManifest>>();

/** The snapshot's Alerts by `<ns>/<name>`, built once per snapshot. */
function alertsByName(config: ConfigSnapshot): Map<string, AlertManifest> {
  let index = alertIndexes.get(config);
  if (!index) {
    index = new Map(config.alerts.map((a) => [`${a.metadata.namespace}/${a.metadata.name}`, a]));
    alertIndexes.set(config, index);
  }
  return index;
}

/** A short, secret-free description of an event for history rows and logs. */
export function summarize(event: FluxEvent): string {
  const o = event.involvedObject;
  return `${o.kind}/${o.namespace}/${o.name} ${event.severity} ${event.reason}`.slice(0, 200);
}

/**
 * What a test event lacks for types that act on a commit or a pull request named by the event,
 * said plainly so that "missing revision metadata" is not read as a fault of the provider.
 */
function testEventGap(type: ProviderType): string | undefined {
  if (COMMIT_STATUS_TYPES.includes(type)) return `a test event names no commit, so ${type} cannot post a commit status for it`;
  if (CHANGE_REQUEST_TYPES.includes(type)) return `a test event names no pull or merge request, so ${type} cannot comment on it`;
  return undefined;
}

const TEST_MARK = "flux-relay test notification";

/**
 * The event of a test send, marked as a test in whatever a type shows: the message for most; the
 * `summary` metadata for Grafana, whose annotation carries tags but no message; the uid for
 * PagerDuty, whose `info` event is a resolve with nothing but that dedup key (a key no incident
 * has, so it resolves nothing).
 */
function testEvent(ref: ProviderRef, now: number): FluxEvent {
  return {
    involvedObject: { kind: "Provider", namespace: ref.namespace, name: ref.name, uid: "flux-relay-test", apiVersion: "notification.toolkit.fluxcd.io/v1beta3", resourceVersion: "", fieldPath: "" },
    severity: "info",
    timestamp: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
    message: `${TEST_MARK} for provider ${ref.namespace}/${ref.name}`,
    reason: "TestNotification",
    metadata: { summary: TEST_MARK, test: "true" },
    reportingController: "flux-relay",
    reportingInstance: "",
  };
}
