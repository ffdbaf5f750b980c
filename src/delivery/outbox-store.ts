import { bucketIndex } from "../lib/prometheus";
import type { AttemptRecord, Counters, DeadLetter, DeliveryRecord, Outcome } from "../routes/api-schemas";
import { LATENCY_BOUNDS_SECONDS, createLatencyTable, latencyFromRows, readLatency, type LatencyHistogram, type LatencyRow } from "./metrics-store";
import type { ForwardedDelivery } from "./outbox-item";
import { summarizeStored } from "./summary";

type Row = Record<string, SqlStorageValue>;

/** Size bounds of one provider's storage (OUTBOX_LIMIT overrides the outbox cap). */
export interface StoreLimits {
  outbox: number;
  deadLetters: number;
  history: number;
}

export const DEFAULT_LIMITS: StoreLimits = { outbox: 100_000, deadLetters: 10_000, history: 1000 };

/** Longest error text stored in a row (history, dead letter, last error): a reason, not a payload. */
export const MAX_STORED_TEXT = 1024;
/** History and attempt logs are trimmed once per this many inserts instead of on every one. */
const TRIM_EVERY = 100;
/** Failed attempts kept per provider for dead letter detail (each message's attempts until it leaves). */
const ATTEMPT_LOG_LIMIT = 20_000;
const HOUR_MS = 3_600_000;
const HOURLY_KEEP_MS = 7 * 24 * HOUR_MS;

/** A queued message as the attempt runner needs it. */
export interface QueuedMessage {
  id: number;
  cluster: string;
  alert: { namespace: string; name: string };
  /** The event as stored (JSON text): parsed only when the message is handled. */
  event: string;
  threadKey: string | null;
  enqueuedAt: number;
  dueAt: number;
  attempts: number;
}

/** How many deliveries of one sending cluster ended in one outcome. */
export interface ClusterOutcome {
  cluster: string;
  outcome: Outcome;
  count: number;
}

/** One history row before it is stored. */
export interface HistoryEntry {
  at: number;
  messageId: number | null;
  attempt: number;
  outcome: Outcome;
  status: number | null;
  latencyMs: number;
  error: string | null;
  alert: string | null;
  summary: string;
  cluster: string;
  test?: boolean;
}

export interface HourlyBucket {
  hour: number;
  delivered: number;
  failed: number;
}

/** The queue as a status reads it: depth, the oldest row's enqueue time, the head's retry state. */
export interface QueueSummary {
  depth: number;
  oldest: number | null;
  head?: { dueAt: number; attempts: number; lastError: string | null; configBlocked: boolean };
}

/** What OutboxStore.statusRows reads in one statement. */
export interface StatusRows {
  state: Map<string, string>;
  queue: QueueSummary;
  hourly: HourlyBucket[];
  latency: LatencyHistogram;
  history: DeliveryRecord[];
}

const ZERO: Counters = { received: 0, delivered: 0, retried: 0, deadLettered: 0, dropped: 0, skipped: 0, suppressed: 0, silenced: 0, refused: 0, deadLettersDropped: 0 };

/** Cuts a text to MAX_STORED_TEXT characters so no stored row can outgrow the storage row limit. */
export function truncateText(text: string, max = MAX_STORED_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 15)}… (truncated)`;
}

/**
 * The SQLite storage of one ProviderObject: the FIFO outbox, dead letters with their attempt
 * logs, delivery history, remembered commit statuses, Alert dispatch failures and small state.
 * Counters, hourly buckets and the latency histogram are accumulated in memory and written by
 * `flush` once per drain run, so a delivery costs one delete and one history insert.
 */
export class OutboxStore {
  private readonly sqlStorage: SqlStorage;
  private pending: Counters = { ...ZERO };
  private pendingHours = new Map<number, { delivered: number; failed: number }>();
  private pendingLatency = new Map<number, { n: number; sumMs: number }>();
  private pendingState = new Map<string, string>();
  /** When `flush` last ran. */
  flushedAt = 0;
  /** History outcomes per sending cluster since the last flush, keyed `<cluster>\n<outcome>`. */
  private pendingOutcomes = new Map<string, number>();
  private historyInserts = 0;
  private attemptInserts = 0;
  /** Rows in the outbox and in dead letters, counted once at start and kept up to date. */
  depth: number;
  deadCount: number;

  constructor(storage: DurableObjectStorage, readonly limits: StoreLimits) {
    this.sqlStorage = storage.sql;
    this.sqlStorage.exec(`
      CREATE TABLE IF NOT EXISTS queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT UNIQUE, cluster TEXT NOT NULL, alert_ns TEXT NOT NULL, alert_name TEXT NOT NULL,
        event TEXT NOT NULL, thread_key TEXT, received_at INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, due_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, config_blocked INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS dead (
        id INTEGER PRIMARY KEY, item_id TEXT, cluster TEXT NOT NULL, alert_ns TEXT NOT NULL, alert_name TEXT NOT NULL, event TEXT NOT NULL,
        thread_key TEXT, received_at INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, failed_at INTEGER NOT NULL, attempts INTEGER NOT NULL, reason TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS history (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, message_id INTEGER, attempt INTEGER NOT NULL, outcome TEXT NOT NULL,
        status INTEGER, latency_ms INTEGER NOT NULL, error TEXT, alert TEXT, summary TEXT NOT NULL, cluster TEXT NOT NULL, test INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS attempt_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT, message_id INTEGER NOT NULL, at INTEGER NOT NULL, attempt INTEGER NOT NULL,
        status INTEGER, latency_ms INTEGER NOT NULL, error TEXT);
      CREATE INDEX IF NOT EXISTS attempt_log_message ON attempt_log(message_id);
      CREATE TABLE IF NOT EXISTS remembered (key TEXT PRIMARY KEY, state TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS alert_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, alert TEXT NOT NULL, at INTEGER NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS hourly (hour INTEGER PRIMARY KEY, delivered INTEGER NOT NULL, failed INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS intake_marks (cluster TEXT PRIMARY KEY, seq INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS cluster_outcomes (cluster TEXT NOT NULL, outcome TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (cluster, outcome));
    `);
    createLatencyTable(this.sqlStorage);
    this.migrateFirstSchema();
    this.depth = this.sql<{ n: number }>`SELECT COUNT(*) AS n FROM queue`[0].n;
    this.deadCount = this.sql<{ n: number }>`SELECT COUNT(*) AS n FROM dead`[0].n;
  }

  /** Bound SQL: every value goes through a parameter, never into the query text. */
  sql<T = Row>(strings: TemplateStringsArray, ...values: SqlStorageValue[]): T[] {
    const query = strings.reduce((acc, s, i) => acc + s + (i < values.length ? "?" : ""), "");
    return this.sqlStorage.exec(query, ...values).toArray() as T[];
  }

  /**
   * The first schema stored each outbox row as one JSON `payload` (with the whole Alert manifest,
   * or the Alert's name); its rows move to the current tables, referring to the Alert by name.
   */
  private migrateFirstSchema(): void {
    const tables = new Set(this.sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`.map((t) => t.name));
    const alertOf = `COALESCE(json_extract(payload, '$.alert.metadata.namespace'), json_extract(payload, '$.alert.namespace'), ''),
      COALESCE(json_extract(payload, '$.alert.metadata.name'), json_extract(payload, '$.alert.name'), '')`;
    if (tables.has("outbox")) {
      this.sqlStorage.exec(`INSERT INTO queue (cluster, alert_ns, alert_name, event, received_at, enqueued_at, due_at, attempts, last_error)
        SELECT COALESCE(json_extract(payload, '$.cluster'), ''), ${alertOf}, json_extract(payload, '$.event'), enqueued_at, enqueued_at, due_at, attempts, last_error
        FROM outbox ORDER BY id; DROP TABLE outbox`);
    }
    if (tables.has("dead_letters")) {
      this.sqlStorage.exec(`INSERT INTO dead (id, cluster, alert_ns, alert_name, event, received_at, enqueued_at, failed_at, attempts, reason)
        SELECT id, COALESCE(json_extract(payload, '$.cluster'), ''), ${alertOf}, json_extract(payload, '$.event'), enqueued_at, enqueued_at, failed_at, attempts, reason
        FROM dead_letters; DROP TABLE dead_letters`);
    }
    if (tables.has("deliveries")) this.sqlStorage.exec("DROP TABLE deliveries");
  }

  getState(key: string): string | undefined {
    return this.pendingState.get(key) ?? this.sql<{ value: string }>`SELECT value FROM state WHERE key = ${key}`[0]?.value;
  }

  setState(key: string, value: string): void {
    this.pendingState.delete(key);
    this.sql`INSERT INTO state (key, value) VALUES (${key}, ${value}) ON CONFLICT(key) DO UPDATE SET value = excluded.value`;
  }

  /** State written with the next flush (per run, not per delivery). */
  setStateLater(key: string, value: string): void {
    this.pendingState.set(key, value);
  }

  count(field: keyof Counters, by = 1): void {
    this.pending[field] += by;
  }

  /** `stored`: the `counters` state row when the caller has read it already (`states()`). */
  counters(stored = this.sql<{ value: string }>`SELECT value FROM state WHERE key = 'counters'`[0]?.value): Counters {
    const total: Counters = { ...ZERO, ...(stored ? (JSON.parse(stored) as Partial<Counters>) : {}) };
    for (const k of Object.keys(ZERO) as (keyof Counters)[]) total[k] += this.pending[k];
    return total;
  }

  /** An attempt outcome for the hourly buckets and the latency histogram (when it reached the network). */
  observe(at: number, outcome: "delivered" | "failed", latencyMs?: number): void {
    const hour = Math.floor(at / HOUR_MS) * HOUR_MS;
    const bucket = this.pendingHours.get(hour) ?? { delivered: 0, failed: 0 };
    bucket[outcome]++;
    this.pendingHours.set(hour, bucket);
    if (latencyMs !== undefined) {
      const index = bucketIndex(LATENCY_BOUNDS_SECONDS, latencyMs / 1000);
      const slot = this.pendingLatency.get(index) ?? { n: 0, sumMs: 0 };
      slot.n++;
      slot.sumMs += latencyMs;
      this.pendingLatency.set(index, slot);
    }
  }

  /** Something accumulated in memory that `flush` would write. */
  get dirty(): boolean {
    return Object.values(this.pending).some((v) => v !== 0) || this.pendingHours.size > 0 || this.pendingLatency.size > 0 || this.pendingState.size > 0 || this.pendingOutcomes.size > 0;
  }

  /** Writes what accumulated in memory: counters, hourly buckets, latency, deferred state. */
  flush(storage: DurableObjectStorage, now = Date.now()): void {
    this.flushedAt = now;
    if (!this.dirty) return;
    storage.transactionSync(() => {
      const total = this.counters();
      this.pending = { ...ZERO };
      this.sql`INSERT INTO state (key, value) VALUES ('counters', ${JSON.stringify(total)}) ON CONFLICT(key) DO UPDATE SET value = excluded.value`;
      for (const [hour, b] of this.pendingHours) {
        this.sql`INSERT INTO hourly (hour, delivered, failed) VALUES (${hour}, ${b.delivered}, ${b.failed})
          ON CONFLICT(hour) DO UPDATE SET delivered = delivered + excluded.delivered, failed = failed + excluded.failed`;
      }
      if (this.pendingHours.size > 0) this.sql`DELETE FROM hourly WHERE hour < ${now - HOURLY_KEEP_MS}`;
      this.pendingHours.clear();
      for (const [bucket, l] of this.pendingLatency) {
        this.sql`INSERT INTO latency_buckets (bucket, n, sum_ms) VALUES (${bucket}, ${l.n}, ${l.sumMs})
          ON CONFLICT(bucket) DO UPDATE SET n = n + excluded.n, sum_ms = sum_ms + excluded.sum_ms`;
      }
      this.pendingLatency.clear();
      for (const [key, value] of this.pendingState) {
        this.sql`INSERT INTO state (key, value) VALUES (${key}, ${value}) ON CONFLICT(key) DO UPDATE SET value = excluded.value`;
      }
      this.pendingState.clear();
      for (const [key, n] of this.pendingOutcomes) {
        const [cluster, outcome] = key.split("\n");
        this.sql`INSERT INTO cluster_outcomes (cluster, outcome, n) VALUES (${cluster}, ${outcome}, ${n})
          ON CONFLICT(cluster, outcome) DO UPDATE SET n = n + excluded.n`;
      }
      this.pendingOutcomes.clear();
    });
  }

  /** Outcomes of deliveries (test sends excluded) per sending cluster, for the `cluster` label of the delivery metrics. */
  clusterOutcomes(): ClusterOutcome[] {
    const totals = new Map<string, number>();
    for (const r of this.sql<{ cluster: string; outcome: string; n: number }>`SELECT cluster, outcome, n FROM cluster_outcomes`) totals.set(`${r.cluster}\n${r.outcome}`, r.n);
    for (const [key, n] of this.pendingOutcomes) totals.set(key, (totals.get(key) ?? 0) + n);
    return [...totals].map(([key, count]) => {
      const [cluster, outcome] = key.split("\n");
      return { cluster, outcome: outcome as Outcome, count };
    }).sort((a, b) => a.cluster.localeCompare(b.cluster) || a.outcome.localeCompare(b.outcome));
  }

  /** Hourly buckets as stored plus what is pending in memory, oldest first. */
  private withPendingHours(stored: HourlyBucket[]): HourlyBucket[] {
    const rows = new Map(stored.map((r) => [r.hour, { ...r }]));
    for (const [hour, b] of this.pendingHours) {
      const row = rows.get(hour) ?? { hour, delivered: 0, failed: 0 };
      row.delivered += b.delivered;
      row.failed += b.failed;
      rows.set(hour, row);
    }
    return [...rows.values()].sort((a, b) => a.hour - b.hour);
  }

  private withPendingLatency(stored: LatencyHistogram): LatencyHistogram {
    for (const [bucket, l] of this.pendingLatency) {
      stored.counts[Math.min(bucket, stored.counts.length - 1)] += l.n;
      stored.sumSeconds += l.sumMs / 1000;
    }
    return stored;
  }

  latency(): LatencyHistogram {
    return this.withPendingLatency(readLatency(this.sqlStorage));
  }

  /**
   * What a status read takes from SQL (every state row, the queue head, the hourly buckets from
   * `hoursSince` on, the latency histogram) and the newest `historyLimit` history rows, with what
   * is pending in memory merged in. One statement instead of five: the status page makes this
   * read for every provider, and on `wrangler dev` all of them share the one workerd thread.
   */
  statusRows(now: number, { historyLimit = 0, hoursSince = now - HOURLY_KEEP_MS } = {}): StatusRows {
    const limit = Math.min(historyLimit, this.limits.history);
    const row = this.sql<{ state: string; head: string | null; hourly: string; latency: string; history: string }>`SELECT
      (SELECT json_group_object(key, value) FROM state) AS state,
      (SELECT json_object('due_at', due_at, 'attempts', attempts, 'last_error', last_error, 'config_blocked', config_blocked, 'enqueued_at', enqueued_at)
        FROM queue ORDER BY id LIMIT 1) AS head,
      (SELECT json_group_array(json_object('hour', hour, 'delivered', delivered, 'failed', failed)) FROM hourly WHERE hour >= ${hoursSince}) AS hourly,
      (SELECT json_group_array(json_object('bucket', bucket, 'n', n, 'sum_ms', sum_ms)) FROM latency_buckets) AS latency,
      (SELECT json_group_array(json_object('id', id, 'at', at, 'message_id', message_id, 'attempt', attempt, 'outcome', outcome, 'status', status,
          'latency_ms', latency_ms, 'error', error, 'alert', alert, 'summary', summary, 'cluster', cluster, 'test', test) ORDER BY id DESC)
        FROM (SELECT * FROM history ORDER BY id DESC LIMIT ${limit})) AS history`[0];
    const state = new Map(Object.entries(JSON.parse(row.state) as Record<string, string>));
    for (const [key, value] of this.pendingState) state.set(key, value);
    const head = row.head === null ? undefined : (JSON.parse(row.head) as { due_at: number; attempts: number; last_error: string | null; config_blocked: number; enqueued_at: number });
    return {
      state,
      // Rows are appended with their enqueue time (replayed ones too), so the head is the oldest.
      queue: { depth: this.depth, oldest: head ? head.enqueued_at : null, head: head && { dueAt: head.due_at, attempts: head.attempts, lastError: head.last_error, configBlocked: head.config_blocked === 1 } },
      hourly: this.withPendingHours(JSON.parse(row.hourly) as HourlyBucket[]).filter((b) => b.hour >= hoursSince),
      latency: this.withPendingLatency(latencyFromRows(JSON.parse(row.latency) as LatencyRow[])),
      history: (JSON.parse(row.history) as Row[]).map(toDeliveryRecord),
    };
  }

  /**
   * Stores forwarded deliveries, idempotent by item id. Beyond the outbox cap a delivery becomes a
   * `QueueFull` dead letter (outcome `refused`). Returns what was stored.
   */
  insert(items: ForwardedDelivery[], now: number): { queued: number; refused: number } {
    if (this.depth + items.length <= this.limits.outbox) return { queued: this.insertAll(items, now), refused: 0 };
    let queued = 0;
    let refused = 0;
    for (const item of items) {
      const full = this.depth >= this.limits.outbox;
      const inserted = this.sql`INSERT INTO queue (item_id, cluster, alert_ns, alert_name, event, thread_key, received_at, enqueued_at, due_at)
        VALUES (${item.id}, ${item.cluster}, ${item.alert.namespace}, ${item.alert.name}, ${item.event}, ${item.threadKey ?? null}, ${item.receivedAt}, ${now}, ${now})
        ON CONFLICT(item_id) DO NOTHING RETURNING id`;
      if (inserted.length === 0) continue;
      this.depth++;
      if (!full) {
        queued++;
        continue;
      }
      // Refused rows take their id from the outbox sequence, so dead letter ids never collide.
      const reason = `QueueFull: the outbox already holds ${this.limits.outbox} messages (OUTBOX_LIMIT)`;
      const message = { id: Number(inserted[0].id), cluster: item.cluster, attempts: 0 } as QueuedMessage;
      this.deadLetter(message, reason, null, now);
      this.record({ at: now, messageId: message.id, attempt: 0, outcome: "refused", status: null, latencyMs: 0, error: reason, alert: `${item.alert.namespace}/${item.alert.name}`, summary: summarizeStored(item.event), cluster: item.cluster });
      this.count("refused");
      refused++;
    }
    return { queued, refused };
  }

  /**
   * A batch that cannot overflow the outbox, in one statement (each SQL call costs far more than
   * the rows it writes), in the batch's order; ids stored before are skipped. Returns how many were queued.
   */
  private insertAll(items: ForwardedDelivery[], now: number): number {
    const rows = items.map((i) => [i.id, i.cluster, i.alert.namespace, i.alert.name, i.event, i.threadKey ?? null, i.receivedAt]);
    const queued = this.sql`INSERT INTO queue (item_id, cluster, alert_ns, alert_name, event, thread_key, received_at, enqueued_at, due_at)
      SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, ${now}, ${now} FROM json_each(${JSON.stringify(rows)}) WHERE true
      ON CONFLICT(item_id) DO NOTHING RETURNING id`.length;
    this.depth += queued;
    return queued;
  }

  /**
   * The items not stored before, by the intake sequence in their id (`<cluster>/<seq>/...`), and
   * the highest sequence per cluster remembered. Items of one intake row share a sequence and
   * always arrive together, so a sequence at or below the mark was stored already.
   */
  unseen(items: ForwardedDelivery[]): ForwardedDelivery[] {
    const marks = new Map<string, { stored: number; next: number }>();
    const fresh = items.filter((item) => {
      const seq = Number(item.id.split("/")[1]);
      let mark = marks.get(item.cluster);
      if (!mark) {
        const stored = this.sql<{ seq: number }>`SELECT seq FROM intake_marks WHERE cluster = ${item.cluster}`[0]?.seq ?? 0;
        marks.set(item.cluster, (mark = { stored, next: stored }));
      }
      if (!Number.isSafeInteger(seq)) return true;
      if (seq <= mark.stored) return false;
      mark.next = Math.max(mark.next, seq);
      return true;
    });
    for (const [cluster, mark] of marks) {
      if (mark.next > mark.stored) this.sql`INSERT INTO intake_marks (cluster, seq) VALUES (${cluster}, ${mark.next}) ON CONFLICT(cluster) DO UPDATE SET seq = MAX(seq, excluded.seq)`;
    }
    return fresh;
  }

  /** The oldest queued messages, in order. */
  heads(limit: number): QueuedMessage[] {
    return this.sql`SELECT id, cluster, alert_ns, alert_name, event, thread_key, enqueued_at, due_at, attempts FROM queue ORDER BY id LIMIT ${limit}`.map(toMessage);
  }

  head(): QueuedMessage | undefined {
    return this.heads(1)[0];
  }

  /** When the head is due (without reading its event), or undefined for an empty outbox. */
  headDueAt(): number | undefined {
    return this.sql<{ due_at: number }>`SELECT due_at FROM queue ORDER BY id LIMIT 1`[0]?.due_at;
  }

  /** The message left the outbox: delivered or skipped. */
  complete(message: QueuedMessage, entry: HistoryEntry): void {
    this.sql`DELETE FROM queue WHERE id = ${message.id}`;
    this.depth--;
    if (message.attempts > 0) this.sql`DELETE FROM attempt_log WHERE message_id = ${message.id}`;
    this.record(entry);
  }

  /** A failed attempt: the message stays at the head until `dueAt` (`configBlocked`: the configuration, not the destination, failed it). */
  reschedule(message: QueuedMessage, dueAt: number, entry: HistoryEntry, configBlocked: boolean): void {
    const error = truncateText(entry.error ?? "");
    this.sql`UPDATE queue SET attempts = ${entry.attempt}, due_at = ${dueAt}, last_error = ${error}, config_blocked = ${configBlocked ? 1 : 0} WHERE id = ${message.id}`;
    this.logAttempt(message.id, entry);
    this.record(entry);
  }

  /** The message moves to dead letters with its attempt log (`entry` null: refused before any attempt). */
  deadLetter(message: QueuedMessage, reason: string, entry: HistoryEntry | null, now = entry?.at ?? Date.now()): void {
    this.sql`INSERT INTO dead (id, item_id, cluster, alert_ns, alert_name, event, thread_key, received_at, enqueued_at, failed_at, attempts, reason)
      SELECT id, item_id, cluster, alert_ns, alert_name, event, thread_key, received_at, enqueued_at, ${now}, ${entry?.attempt ?? 0}, ${truncateText(reason)}
      FROM queue WHERE id = ${message.id}`;
    this.sql`DELETE FROM queue WHERE id = ${message.id}`;
    this.depth--;
    this.deadCount++;
    if (entry) {
      this.logAttempt(message.id, entry);
      this.record(entry);
    }
    this.trimDeadLetters();
  }

  /** Last resort when a message cannot even be moved (its row is unreadable): dropped with a history row. */
  discardHead(message: QueuedMessage, entry: HistoryEntry): void {
    this.sql`DELETE FROM queue WHERE id = ${message.id}`;
    this.depth--;
    this.record(entry);
  }

  private logAttempt(messageId: number, entry: HistoryEntry): void {
    this.sql`INSERT INTO attempt_log (message_id, at, attempt, status, latency_ms, error)
      VALUES (${messageId}, ${entry.at}, ${entry.attempt}, ${entry.status}, ${entry.latencyMs}, ${entry.error === null ? null : truncateText(entry.error)})`;
    if (++this.attemptInserts % TRIM_EVERY === 0) this.sql`DELETE FROM attempt_log WHERE id <= (SELECT MAX(id) FROM attempt_log) - ${ATTEMPT_LOG_LIMIT}`;
  }

  private trimDeadLetters(): void {
    const over = this.deadCount - this.limits.deadLetters;
    if (over <= 0) return;
    this.sql`DELETE FROM attempt_log WHERE message_id IN (SELECT id FROM dead ORDER BY id LIMIT ${over})`;
    this.sql`DELETE FROM dead WHERE id IN (SELECT id FROM dead ORDER BY id LIMIT ${over})`;
    this.deadCount -= over;
    this.count("deadLettersDropped", over);
  }

  record(entry: HistoryEntry): void {
    if (!entry.test) {
      const key = `${entry.cluster}\n${entry.outcome}`;
      this.pendingOutcomes.set(key, (this.pendingOutcomes.get(key) ?? 0) + 1);
    }
    this.sql`INSERT INTO history (at, message_id, attempt, outcome, status, latency_ms, error, alert, summary, cluster, test)
      VALUES (${entry.at}, ${entry.messageId}, ${entry.attempt}, ${entry.outcome}, ${entry.status}, ${entry.latencyMs},
        ${entry.error === null ? null : truncateText(entry.error)}, ${entry.alert}, ${entry.summary}, ${entry.cluster}, ${entry.test ? 1 : 0})`;
    if (++this.historyInserts % TRIM_EVERY === 0) {
      this.sql`DELETE FROM history WHERE id <= (SELECT MAX(id) FROM history) - ${this.limits.history}`;
      this.sql`DELETE FROM alert_events WHERE id <= (SELECT MAX(id) FROM alert_events) - ${this.limits.history}`;
      this.sql`DELETE FROM remembered WHERE key IN (SELECT key FROM remembered ORDER BY at DESC LIMIT -1 OFFSET ${this.limits.history * 10})`;
    }
  }

  remembered(key: string): string | undefined {
    return this.sql<{ state: string }>`SELECT state FROM remembered WHERE key = ${key}`[0]?.state;
  }

  remember(key: string, state: string, at: number): void {
    this.sql`INSERT INTO remembered (key, state, at) VALUES (${key}, ${state}, ${at}) ON CONFLICT(key) DO UPDATE SET state = excluded.state, at = excluded.at`;
  }

  alertEvent(alert: string, at: number, reason: string, message: string): void {
    this.sql`INSERT INTO alert_events (alert, at, reason, message) VALUES (${alert}, ${at}, ${reason}, ${truncateText(message)})`;
  }

  alertEvents(alert: string, limit: number): { at: number; reason: string; message: string }[] {
    return this.sql<{ at: number; reason: string; message: string }>`SELECT at, reason, message FROM alert_events WHERE alert = ${alert} ORDER BY id DESC LIMIT ${limit}`;
  }

  history(limit: number): DeliveryRecord[] {
    return this.sql`SELECT * FROM history ORDER BY id DESC LIMIT ${Math.min(limit, this.limits.history)}`.map(toDeliveryRecord);
  }

  deadLetters(limit: number): DeadLetter[] {
    return this.sql`SELECT id, cluster, alert_ns, alert_name, event, enqueued_at, failed_at, attempts, reason FROM dead ORDER BY id LIMIT ${limit}`.map(toDeadLetter);
  }

  deadLetterDetail(id: number): (DeadLetter & { event: string; attemptLog: AttemptRecord[] }) | undefined {
    const row = this.sql`SELECT id, cluster, alert_ns, alert_name, event, enqueued_at, failed_at, attempts, reason FROM dead WHERE id = ${id}`[0];
    if (!row) return undefined;
    const attemptLog = this.sql`SELECT at, attempt, status, latency_ms, error FROM attempt_log WHERE message_id = ${id} ORDER BY id`.map((a) => ({
      at: Number(a.at),
      attempt: Number(a.attempt),
      status: a.status === null ? null : Number(a.status),
      latencyMs: Number(a.latency_ms),
      error: a.error as string | null,
    }));
    return { ...toDeadLetter(row), event: String(row.event), attemptLog };
  }

  /** Moves dead letters (all, or the given ids) back to the tail of the outbox, in their order. */
  replay(ids: number[] | undefined, now: number): number {
    const where = ids ? "WHERE id IN (SELECT value FROM json_each(?))" : "";
    const args = ids ? [JSON.stringify(ids)] : [];
    const moved = this.sqlStorage.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM dead ${where}`, ...args).one().n;
    this.sqlStorage.exec(
      `INSERT INTO queue (item_id, cluster, alert_ns, alert_name, event, thread_key, received_at, enqueued_at, due_at)
       SELECT NULL, cluster, alert_ns, alert_name, event, thread_key, received_at, ?, ? FROM dead ${where} ORDER BY id`, now, now, ...args);
    this.sqlStorage.exec(`DELETE FROM attempt_log WHERE message_id IN (SELECT id FROM dead ${where})`, ...args);
    this.sqlStorage.exec(`DELETE FROM dead ${where}`, ...args);
    this.depth += moved;
    this.deadCount -= moved;
    return moved;
  }

  discard(ids: number[] | undefined): number {
    const where = ids ? "WHERE id IN (SELECT value FROM json_each(?))" : "";
    const args = ids ? [JSON.stringify(ids)] : [];
    const removed = this.sqlStorage.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM dead ${where}`, ...args).one().n;
    this.sqlStorage.exec(`DELETE FROM attempt_log WHERE message_id IN (SELECT id FROM dead ${where})`, ...args);
    this.sqlStorage.exec(`DELETE FROM dead ${where}`, ...args);
    this.deadCount -= removed;
    return removed;
  }

  /** The head becomes due now (operator "retry"); returns its new due time. */
  retryHeadNow(now: number): number | null {
    const head = this.head();
    if (!head) return null;
    this.sql`UPDATE queue SET due_at = ${now} WHERE id = ${head.id}`;
    return now;
  }

}

function toMessage(r: Row): QueuedMessage {
  return {
    id: Number(r.id),
    cluster: String(r.cluster),
    alert: { namespace: String(r.alert_ns), name: String(r.alert_name) },
    event: String(r.event),
    threadKey: r.thread_key === null ? null : String(r.thread_key),
    enqueuedAt: Number(r.enqueued_at),
    dueAt: Number(r.due_at),
    attempts: Number(r.attempts),
  };
}

function toDeliveryRecord(r: Row): DeliveryRecord {
  return {
    id: Number(r.id),
    at: Number(r.at),
    messageId: r.message_id === null ? null : Number(r.message_id),
    attempt: Number(r.attempt),
    outcome: r.outcome as Outcome,
    cluster: String(r.cluster),
    test: r.test === 1,
    status: r.status === null ? null : Number(r.status),
    latencyMs: Number(r.latency_ms),
    error: r.error as string | null,
    alert: r.alert as string | null,
    summary: String(r.summary),
  };
}

function toDeadLetter(r: Row): DeadLetter {
  return {
    id: Number(r.id),
    enqueuedAt: Number(r.enqueued_at),
    failedAt: Number(r.failed_at),
    attempts: Number(r.attempts),
    reason: String(r.reason),
    alert: r.alert_ns ? `${r.alert_ns}/${r.alert_name}` : null,
    cluster: String(r.cluster),
    summary: summarizeStored(String(r.event)),
  };
}
