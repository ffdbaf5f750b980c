import { DurableObject } from "cloudflare:workers";
import { relayEnv } from "../env";
import type { FluxEvent } from "../flux/event";
import type { ProviderManifest } from "../flux/manifests";
import { log, SampledLog } from "../lib/log";
import { redact } from "../lib/redact";
import type { DeadLetter, DeadLetterDetail, DeliveryRecord, ProviderRuntimeStatus, TestOutcome } from "../routes/api-schemas";
import { alertFor, currentProvider, runAttempt, runConfig, runTest, snapshotProvider, type AttemptResult, type ProviderConfig, type ProviderRef } from "./attempt-runner";
import { canThread } from "../notifiers/slack";
import { countDecision, createDecisionCountTable, readDecisionCounts, type DecisionCount } from "./decision-counts";
import type { LatencyHistogram } from "./metrics-store";
import type { ForwardedDelivery } from "./outbox-item";
import { DEFAULT_LIMITS, OutboxStore, truncateText, type ClusterOutcome, type HistoryEntry, type QueuedMessage, type StoreLimits } from "./outbox-store";
import { nextDelayMs, type RetryPolicy } from "./retry-policy";
import { createSlackThreadTable, recordThread, threadReply } from "./slack-threads";
import { currentConditions, readStatus, STATE } from "./status-model";
import { summarize, summarizeStored } from "./summary";

export type { ProviderRef } from "./attempt-runner";
export type { DeadLetter, DeliveryRecord, ProviderRuntimeStatus, TestOutcome } from "../routes/api-schemas";

/** Longest stretch one alarm run drains before it hands over to a fresh alarm. */
const DRAIN_BUDGET_MS = 20_000;
/** Counters and buckets are written at the end of a run, and at least this often within one. */
const FLUSH_EVERY = 500;
/** Queued rows read per query while draining. */
const HEADS_PER_READ = 32;
/**
 * An exception while handling a message (a bug, a row that cannot be parsed or stored) is tried
 * this many times with backoff, then the message goes to dead letters, so it cannot hold the queue.
 */
const EXCEPTION_ATTEMPTS = 3;
/** Counts kept in memory are written at least this often while messages are queued. */
const COUNTS_FLUSH_MS = 1000;
/** Successful attempts logged per second at most; every failure is logged. */
const SUCCESS_LOGS_PER_SECOND = 5;

function storeLimits(env: Env): StoreLimits {
  return { ...DEFAULT_LIMITS, outbox: relayEnv(env).outboxLimit };
}

/**
 * One Durable Object per Provider (`idFromName("<ns>/<name>")`): it wires the outbox store (SQL),
 * the attempt runner (format, send, classify) and the status read model. Outbox rows are the
 * truth; the alarm always points at the earliest due work whenever the outbox is not empty.
 */
export class ProviderObject extends DurableObject<Env> {
  private readonly store: OutboxStore;
  private readonly policy: RetryPolicy;
  private lastSentAt: number;
  /** The suspend flag, read once and kept in step by setSuspended (the drain checks it per message). */
  private suspended: boolean;
  /** The `ref` state row exists (it is written once and never changes). */
  private refStored = false;
  /** Successful attempts are logged a few per second; every failure is logged. */
  private readonly attemptLog = new SampledLog("delivery attempt", "delivery attempts not logged one by one", SUCCESS_LOGS_PER_SECOND);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.policy = relayEnv(env).retry;
    this.store = new OutboxStore(ctx.storage, storeLimits(env));
    createDecisionCountTable(ctx.storage.sql);
    createSlackThreadTable(ctx.storage.sql);
    this.lastSentAt = Number(this.store.getState(STATE.lastSentAt) ?? 0);
    this.suspended = this.store.getState(STATE.suspended) === "true";
    // After a restart (deploy, eviction, a crashed alarm) queued messages must still have an alarm.
    if (this.store.depth > 0) void ctx.blockConcurrencyWhile(() => this.armForHead());
  }

  private ref(): ProviderRef | undefined {
    const stored = this.store.getState(STATE.ref);
    return stored ? (JSON.parse(stored) as ProviderRef) : undefined;
  }

  private rememberRef(ref: ProviderRef): void {
    if (this.refStored) return;
    if (this.store.getState(STATE.ref) === undefined) this.store.setState(STATE.ref, JSON.stringify(ref));
    this.refStored = true;
  }

  /**
   * Stores forwarded deliveries in one transaction and arms the alarm; resolves once the rows are
   * durable. Idempotent by item id (`<cluster>/<intake seq>/<alert ns>/<alert name>`): a
   * ClusterObject forwards each cluster's rows in intake order, so the highest sequence stored per
   * cluster tells a re-forward after a crash from new rows, even once the first copy was delivered.
   * Decided items (suppressed, silenced) only go to history and counters. A suspended provider
   * drops the rest (Flux semantics); a full outbox refuses them into dead letters.
   */
  async enqueue(ref: ProviderRef, items: ForwardedDelivery[], now = Date.now()): Promise<{ queued: number; dropped: number; refused: number }> {
    const result = this.ctx.storage.transactionSync(() => {
      this.rememberRef(ref);
      const toSend: ForwardedDelivery[] = [];
      for (const item of this.store.unseen(items)) {
        if (!item.decision) {
          toSend.push(item);
          continue;
        }
        this.store.record({ ...historyOf(item, now), outcome: item.decision.outcome, error: item.decision.reason });
        this.store.count(item.decision.outcome);
        countDecision(this.ctx.storage.sql, item, item.decision);
      }
      if (this.suspended) {
        for (const item of toSend) this.store.record({ ...historyOf(item, now), outcome: "dropped", error: "provider suspended" });
        this.store.count("dropped", toSend.length);
        return { queued: 0, dropped: toSend.length, refused: 0 };
      }
      const stored = this.store.insert(toSend, now);
      this.store.count("received", stored.queued);
      return { ...stored, dropped: 0 };
    });
    // With messages queued, the coming drain run writes the counters; otherwise nothing would.
    if (this.store.depth === 0) this.store.flush(this.ctx.storage, now);
    // A queue waiting on a long backoff may be evicted from memory before its run: its counts get
    // a run of their own within COUNTS_FLUSH_MS.
    await this.armForHead(Date.now(), this.store.dirty ? this.store.flushedAt + COUNTS_FLUSH_MS : undefined);
    return result;
  }

  /** Points the alarm at `at` unless it already fires earlier. */
  private async armAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /**
   * Arms the alarm for the head (never in the past, never while suspended), or for `countsDueAt`
   * when that comes first: counts kept in memory need a run to write them.
   */
  private async armForHead(earliest = Date.now(), countsDueAt?: number): Promise<void> {
    const dueAt = this.suspended ? undefined : this.store.headDueAt();
    const head = dueAt === undefined ? undefined : Math.max(earliest, dueAt);
    const counts = countsDueAt === undefined ? undefined : Math.max(Date.now(), countsDueAt);
    const at = head === undefined ? counts : counts === undefined ? head : Math.min(head, counts);
    if (at !== undefined) await this.armAt(at);
  }

  override async alarm(): Promise<void> {
    const started = Date.now();
    let next: number | undefined;
    let config: ProviderConfig | undefined;
    const ref = this.ref();
    try {
      if (!ref || this.suspended) return;
      config = await runConfig(this.env, ref, started);
      next = await this.drain(started, config);
    } finally {
      this.store.flush(this.ctx.storage);
      if (config) this.persistConditions(config);
      if (this.store.depth > 0) await this.armForHead(next);
      this.attemptLog.flush({ provider: ref && `${ref.namespace}/${ref.name}` });
    }
  }

  /** Delivers due messages in order until the head is not due, pacing asks to wait, or the run budget ends. */
  private async drain(started: number, config: ProviderConfig): Promise<number | undefined> {
    let handled = 0;
    for (;;) {
      const heads = this.store.heads(HEADS_PER_READ);
      if (heads.length === 0) return undefined;
      for (const head of heads) {
        const now = Date.now();
        if (head.dueAt > now) return head.dueAt;
        if (now - started > DRAIN_BUDGET_MS) return now;
        const pace = config.provider?.paceMs ?? 0;
        if (pace > 0 && now < this.lastSentAt + pace) return this.lastSentAt + pace;
        if (this.suspended) return undefined;
        const left = await this.handle(head, config);
        if (++handled % FLUSH_EVERY === 0) this.store.flush(this.ctx.storage);
        // A retried head stays first: read the queue again to see its new due time.
        if (!left) break;
      }
    }
  }

  /** One attempt at the head; any exception becomes a failed attempt of that message. Returns whether it left the outbox. */
  private async handle(head: QueuedMessage, config: ProviderConfig): Promise<boolean> {
    const attempt = head.attempts + 1;
    const context = { alert: head.alert.name ? `${head.alert.namespace}/${head.alert.name}` : null, summary: "(unreadable event)" };
    try {
      const event = JSON.parse(head.event) as FluxEvent;
      context.summary = summarize(event);
      // Slack threads (src/delivery/slack-threads.ts): replies go in the thread of the object's first notice.
      const settings = config.provider?.settings;
      const threadKey = head.threadKey && settings && canThread(settings) ? head.threadKey : undefined;
      const thread = threadKey ? threadReply(this.ctx.storage.sql, threadKey, event) : undefined;
      const result = await runAttempt({ event, alert: alertFor(config, head.alert), cluster: head.cluster, thread }, config, (key) => this.store.remembered(key));
      const threaded = threadKey ? { key: threadKey, event, replied: thread !== undefined } : undefined;
      return this.settle(head, attempt, result, context, config, threaded);
    } catch (err) {
      return this.settleException(head, attempt, err, context, config);
    }
  }

  private settle(
    head: QueuedMessage,
    attempt: number,
    result: AttemptResult,
    context: { alert: string | null; summary: string },
    config: ProviderConfig,
    thread?: { key: string; event: FluxEvent; replied: boolean },
  ): boolean {
    const finished = Date.now();
    const c = result.classification;
    const entry = { at: finished, messageId: head.id, attempt, status: result.status ?? null, latencyMs: result.latencyMs, cluster: head.cluster, ...context };
    const sentLatency = result.sent ? result.latencyMs : undefined;
    if (result.sent) this.lastSentAt = finished;
    const ageLeft = head.enqueuedAt + this.policy.maxAgeMs - finished;
    let left = true;
    let error: string | null = null;
    this.ctx.storage.transactionSync(() => {
      if (c.outcome === "delivered") {
        const note = [result.skipped, result.templateError].filter(Boolean).join("; ") || null;
        this.store.complete(head, { ...entry, outcome: result.skipped ? "skipped" : "delivered", error: note });
        if (result.remember) this.store.remember(result.remember.key, result.remember.state, finished);
        if (thread && result.sent) recordThread(this.ctx.storage.sql, thread.key, thread.event, thread.replied, result.response?.body, finished);
        this.store.count(result.skipped ? "skipped" : "delivered");
        if (!result.skipped) {
          this.store.observe(finished, "delivered", sentLatency);
          this.store.setStateLater(STATE.lastDeliveryAt, String(finished));
          this.store.setStateLater(STATE.deadLettering, "");
        }
      } else if (c.outcome === "permanent" || ageLeft <= 0) {
        error = c.outcome === "permanent" ? c.reason : `gave up after ${attempt} attempts over ${Math.round((finished - head.enqueuedAt) / 1000)} s: ${c.reason}`;
        this.moveToDeadLetters(head, error, { ...entry, outcome: "dead-lettered", error }, sentLatency);
        if (context.alert && result.dispatchError) this.store.alertEvent(context.alert, finished, "NotificationDispatchFailed", error);
      } else {
        error = c.reason;
        const due = finished + Math.min(nextDelayMs(this.policy, attempt, c.retryAfterMs), ageLeft);
        this.store.reschedule(head, due, { ...entry, outcome: "retried", error: c.reason }, result.configBlocked === true);
        this.store.count("retried");
        this.store.observe(finished, "failed", sentLatency);
        this.store.setStateLater(STATE.lastError, JSON.stringify({ at: finished, message: truncateText(c.reason) }));
        left = false;
      }
    });
    if (result.sent) this.store.setStateLater(STATE.lastSentAt, String(finished));
    this.logAttempt(error === null, { provider: `${config.ref.namespace}/${config.ref.name}`, type: config.manifest?.spec.type, cluster: head.cluster, alert: context.alert, event: context.summary, attempt, outcome: left ? (error === null ? (result.skipped ? "skipped" : "delivered") : "dead-lettered") : "retried", status: result.status, latencyMs: result.latencyMs, error: error ?? undefined, templateError: result.templateError });
    return left;
  }

  private moveToDeadLetters(head: QueuedMessage, reason: string, entry: HistoryEntry, latencyMs?: number): void {
    this.store.deadLetter(head, reason, entry);
    this.store.count("deadLettered");
    this.store.observe(entry.at, "failed", latencyMs);
    const stored = JSON.stringify({ at: entry.at, message: truncateText(reason) });
    this.store.setStateLater(STATE.lastError, stored);
    this.store.setStateLater(STATE.deadLettering, JSON.stringify({ at: entry.at, reason: truncateText(reason) }));
  }

  /**
   * An exception while handling the head: retried with backoff, then dead-lettered with the
   * exception's class as the reason. When even that cannot be stored, the row is removed with a
   * history entry, so no message can hold the queue.
   */
  private settleException(head: QueuedMessage, attempt: number, err: unknown, context: { alert: string | null; summary: string }, config: ProviderConfig): boolean {
    const finished = Date.now();
    const name = err instanceof Error ? err.name : typeof err;
    const reason = truncateText(redact(`${name}: ${err instanceof Error ? err.message : String(err)}`, config.provider?.secrets ?? []));
    const entry = { at: finished, messageId: head.id, attempt, status: null, latencyMs: 0, cluster: head.cluster, ...context };
    const giveUp = attempt >= EXCEPTION_ATTEMPTS || finished - head.enqueuedAt >= this.policy.maxAgeMs;
    log("error", "delivery attempt threw", { provider: `${config.ref.namespace}/${config.ref.name}`, alert: context.alert, attempt, error: reason, willRetry: !giveUp });
    try {
      this.ctx.storage.transactionSync(() => {
        if (giveUp) return this.moveToDeadLetters(head, reason, { ...entry, outcome: "dead-lettered", error: reason });
        this.store.reschedule(head, finished + nextDelayMs(this.policy, attempt), { ...entry, outcome: "retried", error: reason }, false);
        this.store.count("retried");
        this.store.observe(finished, "failed");
      });
      return giveUp;
    } catch (writeErr) {
      const lost = truncateText(`${reason}; the message could not be moved to dead letters (${(writeErr as Error).name}) and was removed`);
      log("error", "undeliverable message removed", { provider: `${config.ref.namespace}/${config.ref.name}`, alert: context.alert, error: lost });
      this.ctx.storage.transactionSync(() => {
        this.store.discardHead(head, { ...entry, outcome: "dead-lettered", error: lost });
        this.store.count("deadLettered");
      });
      return true;
    }
  }

  /** Failures always; successes at most SUCCESS_LOGS_PER_SECOND, the rest summed per run. */
  private logAttempt(ok: boolean, fields: Record<string, unknown>): void {
    if (!ok) return log("warn", "delivery attempt", fields);
    this.attemptLog.info(String(fields.outcome), fields, { provider: fields.provider });
  }

  /** Stores the conditions as they are now (a write path), so their transition times stay stable on read. */
  private persistConditions(config: ProviderConfig): void {
    const now = Date.now();
    const conditions = JSON.stringify(currentConditions(this.store, config, now));
    if (conditions !== this.store.getState(STATE.conditions)) this.store.setState(STATE.conditions, conditions);
  }

  /** Operator suspend/resume (effective suspend = spec.suspend OR this flag). */
  async setSuspended(ref: ProviderRef, suspended: boolean): Promise<void> {
    this.rememberRef(ref);
    this.store.setState(STATE.suspended, String(suspended));
    this.suspended = suspended;
    if (!suspended) await this.armForHead();
  }

  /** Operator "retry": the head is tried now, ignoring its backoff. */
  async retryNow(ref: ProviderRef): Promise<{ nextAttemptAt: number | null }> {
    this.rememberRef(ref);
    const now = Date.now();
    const due = this.store.retryHeadNow(now);
    if (due !== null) await this.armForHead(now);
    return { nextAttemptAt: due };
  }

  /** Status from the current configuration and the stored outbox; writes nothing. */
  async status(ref: ProviderRef): Promise<ProviderRuntimeStatus> {
    return readStatus(this.store, await currentProvider(this.env, ref), Date.now());
  }

  /**
   * The status page's read of this provider in one call (src/routes/dashboard-data.ts): the status
   * for the manifest of the page's configuration snapshot with only the hourly buckets the page
   * draws (from `hoursSince` on), and the newest `historyLimit` history rows.
   */
  async overview(ref: ProviderRef, manifest: ProviderManifest, read: { historyLimit: number; hoursSince: number }): Promise<{ status: ProviderRuntimeStatus; deliveries: DeliveryRecord[] }> {
    const now = Date.now();
    const rows = this.store.statusRows(now, read);
    return { status: readStatus(this.store, snapshotProvider(this.env, ref, manifest), now, rows), deliveries: rows.history };
  }

  /** Events held back by noise control and silences, per cluster, Alert and rule (src/delivery/decision-counts.ts). */
  async decisionCounts(): Promise<DecisionCount[]> {
    return readDecisionCounts(this.ctx.storage.sql);
  }

  /** Status, the delivery latency histogram and the decision counts, in one call per provider for /metrics. */
  async metrics(ref: ProviderRef): Promise<{ status: ProviderRuntimeStatus; latency: LatencyHistogram; decisions: DecisionCount[]; outcomes: ClusterOutcome[] }> {
    return { status: await this.status(ref), latency: this.store.latency(), decisions: readDecisionCounts(this.ctx.storage.sql), outcomes: this.store.clusterOutcomes() };
  }

  async deliveries(limit = 100): Promise<DeliveryRecord[]> {
    return this.store.history(limit);
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    return this.store.deadLetters(limit);
  }

  /** One dead letter with its event, cluster and every failed attempt; undefined when unknown. */
  async deadLetter(id: number): Promise<DeadLetterDetail | undefined> {
    const found = this.store.deadLetterDetail(id);
    if (!found) return undefined;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(found.event) as Record<string, unknown>;
    } catch {
      event = {};
    }
    return { ...found, event };
  }

  /** Moves dead letters (all, or the given ids) back to the tail of the outbox, in their order. */
  async replayDeadLetters(ids?: number[]): Promise<{ replayed: number }> {
    const now = Date.now();
    const replayed = this.ctx.storage.transactionSync(() => this.store.replay(ids, now));
    if (replayed > 0) await this.armForHead(now);
    return { replayed };
  }

  async discardDeadLetters(ids?: number[]): Promise<{ discarded: number }> {
    return { discarded: this.ctx.storage.transactionSync(() => this.store.discard(ids)) };
  }

  /** Dispatch failures recorded against an Alert (`<ns>/<name>`), newest first. */
  async alertEvents(alert: string, limit = 20): Promise<{ at: number; reason: string; message: string }[]> {
    return this.store.alertEvents(alert, limit);
  }

  /**
   * Sends a clearly marked test event right away through the same runner as queued messages (not
   * queued, not paced), or checks a commit-status or comment provider's token and repository;
   * recorded in the history (`test: true`) and in status (`lastTest`).
   */
  async testSend(ref: ProviderRef): Promise<TestOutcome> {
    this.rememberRef(ref);
    const config = await currentProvider(this.env, ref);
    let result;
    try {
      result = await runTest(config, Date.now());
    } catch (err) {
      const name = err instanceof Error ? err.name : typeof err;
      const error = truncateText(redact(`${name}: ${err instanceof Error ? err.message : String(err)}`, config.provider?.secrets ?? []));
      result = { outcome: "failed" as const, status: null, latencyMs: 0, error, summary: "Provider test" };
    }
    const at = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.store.record({ at, messageId: null, attempt: 1, outcome: result.outcome, status: result.status, latencyMs: result.latencyMs, error: result.error, alert: null, summary: result.summary, cluster: "", test: true });
      this.store.setState(STATE.lastTest, JSON.stringify({ at, outcome: result.outcome, error: result.error === null ? null : truncateText(result.error) }));
    });
    return { outcome: result.outcome, status: result.status, latencyMs: result.latencyMs, error: result.error };
  }
}

/** The history row of a forwarded item that is not sent (decided, dropped). */
function historyOf(item: ForwardedDelivery, now: number): Omit<HistoryEntry, "outcome" | "error"> {
  return { at: now, messageId: null, attempt: 0, status: null, latencyMs: 0, alert: `${item.alert.namespace}/${item.alert.name}`, summary: summarizeStored(item.event), cluster: item.cluster };
}
