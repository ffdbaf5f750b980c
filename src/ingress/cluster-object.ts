import { DurableObject } from "cloudflare:workers";
import type { ForwardedDelivery } from "../delivery/outbox-item";
import { providerStub } from "../delivery/provider-stub";
import { fixedWindowDecision } from "../flux/dedup";
import type { FluxEvent } from "../flux/event";
import { log } from "../lib/log";
import { createNoiseTables, decideNoise, noiseControlled, type SilenceHit } from "../rules/noise";
import { registerCluster } from "./clusters-registry";
import type { RoutedDelivery } from "./route";

/** What the Worker hands the sending cluster's object for one authenticated, parsed, routed event. */
export interface IntakeRequest {
  cluster: string;
  /** Flux's dedup key of the event (hex SHA-256). */
  dedupKey: string;
  windowMs: number;
  /** The cleaned, token-free event; each delivery carries its own combined metadata. */
  event: FluxEvent;
  deliveries: RoutedDelivery[];
  /** The active silence that mutes this event (src/rules/silences.ts), handed to noise control. */
  silence?: SilenceHit;
  now: number;
  /**
   * Requests for this cluster that passed authentication but were refused as invalid (400) since
   * the isolate's previous intake call: counted here, so a bad request itself writes nothing.
   */
  invalid?: number;
}

export interface IntakeResult {
  duplicate: boolean;
  /** Deliveries appended to the intake log (0 for a duplicate or when no Alert matched). */
  accepted: number;
}

/** The counters of one cluster (`invalid` = refused after authentication). */
export interface IntakeCounts {
  accepted: number;
  duplicate: number;
  unmatched: number;
  invalid: number;
}

export type IntakeOutcome = keyof IntakeCounts;
export const INTAKE_OUTCOMES: readonly IntakeOutcome[] = ["accepted", "duplicate", "unmatched", "invalid"];

/** What `GET /api/v1/clusters/:cluster` shows. */
export interface ClusterView {
  name: string;
  lastEventAt: number | null;
  counts: IntakeCounts;
  /** Deliveries stored but not yet forwarded to their providers' outboxes. */
  backlog: number;
  lastError: { at: number; message: string } | null;
  /** Per hour (epoch ms of the hour's start), the last 7 days, oldest first. */
  hourly: ({ hour: number } & IntakeCounts)[];
}

const HOUR_MS = 3_600_000;
const HOURLY_KEPT_MS = 7 * 24 * HOUR_MS;

/**
 * Forwarding bounds. An alarm invocation may make a limited number of subrequests (50 on the
 * Workers Free plan, more on paid plans: https://developers.cloudflare.com/workers/platform/limits/#subrequests),
 * and each RPC to a ProviderObject counts as one. One run makes at most FORWARD_RPCS_PER_RUN
 * calls, one per provider, plus the one-time KV registration of the cluster: under the Free
 * plan's limit with room to spare; the rest waits for the next run, armed at once.
 */
export const FORWARD_RPCS_PER_RUN = 32;
/** Deliveries per provider per RPC (whole intake rows: a row's deliveries are never split). */
export const FORWARD_BATCH_ITEMS = 100;
/** Serialized size per RPC, far under the 32 MiB a Durable Object RPC message may carry. */
export const FORWARD_BATCH_BYTES = 4 * 1024 * 1024;
/**
 * After a forwarding run that carried at least FORWARD_PAUSE_MIN_ITEMS deliveries (a burst) the
 * next waits FORWARD_PAUSE_FACTOR times as long as the run took (at most FORWARD_PAUSE_MAX_MS):
 * the intake, which the senders are waiting on, keeps most of the object's time, and the backlog
 * travels in fewer, larger batches (fewer Durable Object requests, which are billed per request).
 * Events that come one at a time are forwarded at once, however long a run took.
 */
const FORWARD_PAUSE_FACTOR = 4;
const FORWARD_PAUSE_MAX_MS = 500;
const FORWARD_PAUSE_MIN_ITEMS = 8;
/**
 * Counters and the last event time are kept in memory and written at most this often (and before
 * every read and forwarding run): a crash can lose this much of the counts, never an event.
 */
const COUNTS_FLUSH_MS = 1000;
/** Retry delay after a failed forward, doubling to the maximum. */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

type Row = Record<string, SqlStorageValue>;

/** What appending one event came to, with the counter it goes to. */
type Appended = IntakeResult & { outcome: IntakeOutcome };

interface WaitingIntake {
  req: IntakeRequest;
  resolve: (result: IntakeResult) => void;
  reject: (err: unknown) => void;
}

/**
 * One Durable Object per sending cluster (`idFromName("<cluster>")`), SQLite: the cluster's dedup
 * window, its intake log and its counters. The ingress makes exactly one call here per
 * authenticated event (`intake`), which commits dedup, counters and the routed deliveries in one
 * transaction; the alarm then forwards pending deliveries in intake order to the providers'
 * outboxes, one batch per provider per RPC, and deletes what was forwarded. A crash between the
 * forward and the delete re-forwards the same ids, which the provider stores once.
 */
export class ClusterObject extends DurableObject<Env> {
  /** An alarm is set and has not started yet (in memory: after a restart the first intake re-arms). */
  private armed = false;
  /** A forwarding run is under way: it arms the next one itself when it ends. */
  private running = false;
  /** When the next forwarding run may start (FORWARD_PAUSE_FACTOR). */
  private nextRunAt = 0;
  /** Counts not yet written, per hour bucket; written by flushCounts. */
  private unflushed = new Map<number, IntakeCounts>();
  private lastEventAt: number | undefined;
  private flushedAt = 0;
  private failures = 0;
  private intakes = 0;
  /** Intakes waiting for the next group commit (commitWaiting). */
  private waiting: WaitingIntake[] = [];
  /** The `name` and `registered` state rows, read once per object start (they never change back). */
  private name: string | undefined;
  private registered = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Every event writes the dedup and forwarding tables: both are WITHOUT ROWID tables keyed the
    // way they are read, one B-tree each instead of a rowid table plus indexes, so an intake
    // commit writes fewer pages (https://www.sqlite.org/withoutrowid.html).
    this.ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS dedup (
        key TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, admitted_window INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS dedup_expiry ON dedup(expires_at);
      CREATE TABLE IF NOT EXISTS intake (seq INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER NOT NULL, event TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS forward_queue (
        provider TEXT NOT NULL, seq INTEGER NOT NULL, alert TEXT NOT NULL, metadata TEXT NOT NULL,
        decision TEXT, thread_key TEXT, PRIMARY KEY (provider, seq, alert)) WITHOUT ROWID;
      CREATE VIEW IF NOT EXISTS intake_append AS
        SELECT '' AS dedup_key, 0 AS first_seen, 0 AS admitted_window, 0 AS expires_at, 0 AS received_at, '' AS event, '' AS deliveries WHERE 0;
      CREATE TRIGGER IF NOT EXISTS intake_append_insert INSTEAD OF INSERT ON intake_append BEGIN
        SELECT RAISE(IGNORE) WHERE EXISTS (SELECT 1 FROM dedup WHERE key = NEW.dedup_key);
        INSERT INTO dedup (key, first_seen, admitted_window, expires_at)
          SELECT NEW.dedup_key, NEW.first_seen, NEW.admitted_window, NEW.expires_at WHERE NEW.dedup_key IS NOT NULL;
        INSERT INTO intake (received_at, event) SELECT NEW.received_at, NEW.event WHERE NEW.deliveries IS NOT NULL;
        INSERT INTO forward_queue (provider, seq, alert, metadata, decision, thread_key)
          SELECT value ->> 1, last_insert_rowid(), value ->> 0, value ->> 2, value ->> 3, value ->> 4 FROM json_each(NEW.deliveries);
      END;
      CREATE TABLE IF NOT EXISTS hourly (
        hour INTEGER PRIMARY KEY, accepted INTEGER NOT NULL DEFAULT 0, duplicate INTEGER NOT NULL DEFAULT 0,
        unmatched INTEGER NOT NULL DEFAULT 0, invalid INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS totals (outcome TEXT PRIMARY KEY, n INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.migrateFirstSchema();
    createNoiseTables(this.ctx.storage.sql);
    this.name = this.getState("name");
    this.registered = this.getState("registered") !== undefined;
  }

  /**
   * Objects created before the WITHOUT ROWID tables keep their dedup keys (`seen`) and unforwarded
   * deliveries (`pending`): both are copied over once, in one transaction, and the old tables dropped.
   */
  private migrateFirstSchema(): void {
    const old = new Set(this.sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('seen', 'pending')`.map((r) => r.name));
    if (old.size === 0) return;
    this.ctx.storage.transactionSync(() => {
      if (old.has("seen")) {
        this.sql`INSERT OR IGNORE INTO dedup (key, first_seen, admitted_window, expires_at) SELECT key, first_seen, admitted_window, expires_at FROM seen`;
        this.sql`DROP TABLE seen`;
      }
      if (old.has("pending")) {
        this.sql`INSERT OR IGNORE INTO forward_queue (provider, seq, alert, metadata, decision, thread_key) SELECT provider, seq, alert, metadata, decision, thread_key FROM pending`;
        this.sql`DROP TABLE pending`;
      }
    });
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

  private count(outcome: IntakeOutcome, now: number, by = 1): void {
    if (by <= 0) return;
    const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
    let bucket = this.unflushed.get(hour);
    if (!bucket) this.unflushed.set(hour, (bucket = { accepted: 0, duplicate: 0, unmatched: 0, invalid: 0 }));
    bucket[outcome] += by;
  }

  /**
   * Writes the counts and the last event time kept in memory (one statement per hour bucket), in a
   * transaction of their own; memory is cleared only once it committed.
   */
  private flushCounts(now: number): void {
    this.flushedAt = now;
    if (this.lastEventAt === undefined && this.unflushed.size === 0) return;
    const totals: IntakeCounts = { accepted: 0, duplicate: 0, unmatched: 0, invalid: 0 };
    for (const b of this.unflushed.values()) for (const outcome of INTAKE_OUTCOMES) totals[outcome] += b[outcome];
    const changed = INTAKE_OUTCOMES.filter((o) => totals[o] > 0);
    this.ctx.storage.transactionSync(() => {
      if (this.lastEventAt !== undefined) this.setState("last_event_at", String(this.lastEventAt));
      for (const [hour, b] of this.unflushed) {
        this.sql`INSERT INTO hourly (hour, accepted, duplicate, unmatched, invalid) VALUES (${hour}, ${b.accepted}, ${b.duplicate}, ${b.unmatched}, ${b.invalid})
          ON CONFLICT(hour) DO UPDATE SET accepted = accepted + excluded.accepted, duplicate = duplicate + excluded.duplicate,
            unmatched = unmatched + excluded.unmatched, invalid = invalid + excluded.invalid`;
      }
      if (changed.length === 0) return;
      this.ctx.storage.sql.exec(
        `INSERT INTO totals (outcome, n) VALUES ${changed.map(() => "(?, ?)").join(", ")} ON CONFLICT(outcome) DO UPDATE SET n = n + excluded.n`,
        ...changed.flatMap((o) => [o, totals[o]]));
    });
    this.lastEventAt = undefined;
    this.unflushed.clear();
  }

  /**
   * The one durable step of the ingress: in one transaction, Flux's fixed dedup window for this
   * cluster (consumed even when nothing matched, as in Flux) and the event with its deliveries
   * appended to the intake log; the counters follow in memory (COUNTS_FLUSH_MS). Throws when
   * storage fails: then nothing was stored or counted and the Worker answers 503.
   *
   * Group commit: the intakes that arrive while one waits for its turn (a zero-delay timer) are
   * written together, one transaction and one commit for all of them. Each answer still leaves
   * only once that commit is durable: the object's output gate holds it
   * (https://blog.cloudflare.com/durable-objects-easy-fast-correct-choose-three/).
   */
  async intake(req: IntakeRequest): Promise<IntakeResult> {
    const result = await new Promise<IntakeResult>((resolve, reject) => {
      this.waiting.push({ req, resolve, reject });
      if (this.waiting.length === 1) setTimeout(() => this.commitWaiting(), 0);
    });
    if (!this.armed && !this.running) {
      if (result.accepted > 0 || !this.registered) await this.arm(this.nextRunAt);
      // Counts waiting in memory need a run to write them if no event comes to do it.
      else if (this.unflushed.size > 0) await this.arm(this.flushedAt + COUNTS_FLUSH_MS);
    }
    return result;
  }

  /**
   * Appends every waiting intake in one transaction. Should that fail, each is tried again in a
   * transaction of its own, so one event that cannot be stored fails alone.
   */
  private commitWaiting(): void {
    const batch = this.waiting;
    this.waiting = [];
    let outcomes: Appended[];
    try {
      outcomes = this.store(batch);
    } catch (err) {
      if (batch.length === 1) {
        batch[0].reject(err);
        return;
      }
      for (const w of batch) {
        try {
          this.settle(w, this.store([w])[0]);
        } catch (one) {
          w.reject(one);
        }
      }
      return;
    }
    batch.forEach((w, i) => this.settle(w, outcomes[i]));
  }

  /** The intakes appended in one transaction, with the cluster's name the first time. */
  private store(intakes: WaitingIntake[]): Appended[] {
    return this.ctx.storage.transactionSync(() => {
      if (this.name === undefined) this.setState("name", intakes[0].req.cluster);
      return intakes.map((w) => this.append(w.req));
    });
  }

  /** Counts a stored intake (in memory: a request answered 503 counts nothing, its sender retries) and answers it. */
  private settle(w: WaitingIntake, { outcome, ...result }: Appended): void {
    const { req } = w;
    this.name ??= req.cluster;
    this.lastEventAt = req.now;
    this.count("invalid", req.now, req.invalid ?? 0);
    this.count(outcome, req.now);
    if (req.now - this.flushedAt >= COUNTS_FLUSH_MS) this.flushCounts(req.now);
    w.resolve(result);
  }

  /**
   * Dedup, then the event and its deliveries appended to the intake log (inside commitWaiting's
   * transaction). Each SQL call costs the Worker far more than the rows it writes, so the common
   * case, a key never seen and Alerts without noise control, is one statement: the
   * `intake_append` view's trigger records the key, the event and its deliveries, or writes
   * nothing when the key is known. A known key is then decided by the window (`readmit`), and
   * noise control, whose decisions write state, decides only once the event is admitted.
   */
  private append(req: IntakeRequest): Appended {
    const { now } = req;
    if (++this.intakes % 100 === 1) this.sweep(now);
    const duplicate = { duplicate: true, accepted: 0, outcome: "duplicate" } as const;
    const admitted = req.deliveries.length === 0
      ? ({ duplicate: false, accepted: 0, outcome: "unmatched" } as const)
      : ({ duplicate: false, accepted: req.deliveries.length, outcome: "accepted" } as const);
    if (!req.deliveries.some((d) => noiseControlled(d.annotations))) {
      const rows = req.deliveries.map((d) => this.deliveryRow(req, d));
      if (this.insertIntake(req, rows, true)) return admitted;
      if (!this.readmit(req.dedupKey, now, req.windowMs)) return duplicate;
      this.insertIntake(req, rows, false);
      return admitted;
    }
    if (!this.insertIntake(req, [], true) && !this.readmit(req.dedupKey, now, req.windowMs)) return duplicate;
    this.insertIntake(req, req.deliveries.map((d) => this.deliveryRow(req, d)), false);
    return admitted;
  }

  /** A delivery as its `forward_queue` row: [alert, provider, metadata, decision, thread key]. */
  private deliveryRow(req: IntakeRequest, d: RoutedDelivery): (string | null)[] {
    // Noise control decides here, in intake order and in the same transaction as the dedup
    // check, so a crash can never separate an event from its decision (src/rules/noise.ts).
    const noise = decideNoise({
      sql: this.ctx.storage.sql,
      cluster: req.cluster,
      alert: d.alert,
      annotations: d.annotations,
      event: req.event,
      metadata: d.metadata,
      now: req.now,
      silence: req.silence,
    });
    return [`${d.alert.namespace}/${d.alert.name}`, `${d.provider.namespace}/${d.provider.name}`, JSON.stringify(noise.metadata),
      noise.decision ? JSON.stringify(noise.decision) : null, noise.threadKey ?? null];
  }

  /**
   * One statement through the `intake_append` trigger: with `recordKey`, the dedup key as never
   * seen (nothing is written, false, when it is known); empty `rows` append no event.
   */
  private insertIntake(req: IntakeRequest, rows: (string | null)[][], recordKey: boolean): boolean {
    const fresh = fixedWindowDecision(undefined, undefined, req.now, req.windowMs);
    const cursor = this.ctx.storage.sql.exec(
      "INSERT INTO intake_append (dedup_key, first_seen, admitted_window, expires_at, received_at, event, deliveries) VALUES (?, ?, ?, ?, ?, ?, ?)",
      recordKey ? req.dedupKey : null, fresh.firstSeenMs, fresh.lastAdmittedWindow, fresh.expiresAtMs, req.now,
      rows.length > 0 ? JSON.stringify(req.event) : null, rows.length > 0 ? JSON.stringify(rows) : null);
    return cursor.rowsWritten > 0 || !recordKey;
  }

  private async arm(at: number): Promise<void> {
    await this.ctx.storage.setAlarm(Math.max(Date.now(), at));
    this.armed = true;
  }

  /** Flux's fixed dedup window for a key already recorded; true (and the window moved on) when it is admitted. */
  private readmit(key: string, now: number, windowMs: number): boolean {
    const row = this.sql<{ first_seen: number; admitted_window: number }>`SELECT first_seen, admitted_window FROM dedup WHERE key = ${key}`[0];
    const decision = fixedWindowDecision(row?.first_seen, row?.admitted_window, now, windowMs);
    if (decision.admitted) {
      this.sql`UPDATE dedup SET first_seen = ${decision.firstSeenMs}, admitted_window = ${decision.lastAdmittedWindow}, expires_at = ${decision.expiresAtMs} WHERE key = ${key}`;
    }
    return decision.admitted;
  }

  /** Forgets expired dedup keys and hourly buckets older than 7 days. */
  private sweep(now: number): void {
    this.sql`DELETE FROM dedup WHERE expires_at < ${now}`;
    this.sql`DELETE FROM hourly WHERE hour < ${now - HOURLY_KEPT_MS}`;
  }

  /**
   * Forwards pending deliveries: per provider (oldest first, at most FORWARD_RPCS_PER_RUN), one
   * batch of its oldest rows in intake order; providers run in parallel, each provider's batches
   * in sequence across runs, so a destination sees one cluster's events in their order. Rows are
   * deleted only after the provider stored them. Also writes the counts kept in memory.
   */
  override async alarm(): Promise<void> {
    this.armed = false;
    this.running = true;
    const started = Date.now();
    let failed: { provider: string; error: string }[] = [];
    let forwarded = 0;
    try {
      this.flushCounts(started);
      const name = this.name;
      if (!name) return;
      await this.register(name);
      ({ failed, forwarded } = await this.forwardOldest(name));
      // Intake rows older than every pending delivery were forwarded to all their providers.
      this.sql`DELETE FROM intake WHERE seq < COALESCE((SELECT MIN(seq) FROM forward_queue), ${Number.MAX_SAFE_INTEGER})`;
    } finally {
      this.running = false;
      const ended = Date.now();
      this.nextRunAt = forwarded >= FORWARD_PAUSE_MIN_ITEMS ? ended + Math.min(FORWARD_PAUSE_MAX_MS, (ended - started) * FORWARD_PAUSE_FACTOR) : ended;
      if (this.sql`SELECT 1 FROM forward_queue LIMIT 1`.length > 0) {
        const delay = failed.length > 0 ? Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (this.failures - 1)) : 0;
        await this.arm(Math.max(this.nextRunAt, ended + delay));
      } else if (this.unflushed.size > 0) {
        await this.arm(this.flushedAt + COUNTS_FLUSH_MS);
      }
    }
  }

  /** One batch to each of the providers waiting longest; returns how many deliveries went and the providers that failed. */
  private async forwardOldest(name: string): Promise<{ failed: { provider: string; error: string }[]; forwarded: number }> {
    const providers = this.sql<{ provider: string }>`
      SELECT provider, MIN(seq) AS first FROM forward_queue GROUP BY provider ORDER BY first LIMIT ${FORWARD_RPCS_PER_RUN}`;
    const results = await Promise.allSettled(providers.map((p) => this.forward(name, p.provider)));
    const failed = results.flatMap((r, i) => (r.status === "rejected" ? [{ provider: providers[i].provider, error: String(r.reason) }] : []));
    if (failed.length > 0) {
      this.failures++;
      const message = `forwarding to ${failed.map((f) => f.provider).join(", ")} failed: ${failed[0].error}`.slice(0, 1024);
      this.setState("last_error", JSON.stringify({ at: Date.now(), message }));
      log("warn", "cluster forwarding failed", { cluster: name, providers: failed.map((f) => f.provider), error: failed[0].error.slice(0, 1024) });
    } else {
      this.failures = 0;
    }
    return { failed, forwarded: results.reduce((n, r) => n + (r.status === "fulfilled" ? r.value : 0), 0) };
  }

  /** Writes the one KV key that lists this cluster (`clusters/<name>`), once, after an answer. */
  private async register(name: string): Promise<void> {
    if (this.registered) return;
    try {
      await registerCluster(this.env, name, Date.now());
      this.setState("registered", String(Date.now()));
      this.registered = true;
    } catch (err) {
      log("warn", "cluster registration in KV failed; retried on the next forwarding run", { cluster: name, error: String(err) });
    }
  }

  /** One RPC: the provider's oldest pending rows (whole intake rows), stored by its `enqueue`. */
  private async forward(cluster: string, provider: string): Promise<number> {
    // The stored event with this delivery's metadata put in, as JSON (json_set keeps it text).
    const rows = this.sql<{ seq: number; alert: string; metadata: string; decision: string | null; thread_key: string | null; received_at: number; event: string }>`
      SELECT p.seq, p.alert, p.metadata, p.decision, p.thread_key, i.received_at, json_set(i.event, '$.metadata', json(p.metadata)) AS event
      FROM forward_queue p JOIN intake i ON i.seq = p.seq
      WHERE p.provider = ${provider} AND p.seq <= (
        SELECT MAX(seq) FROM (SELECT DISTINCT seq FROM forward_queue WHERE provider = ${provider} ORDER BY seq LIMIT ${FORWARD_BATCH_ITEMS}))
      ORDER BY p.seq, p.alert`;
    const batch = wholeRows(rows);
    const items: ForwardedDelivery[] = batch.map((r) => {
      const [namespace, name] = r.alert.split("/");
      return {
        id: `${cluster}/${r.seq}/${r.alert}`,
        cluster,
        alert: { namespace, name },
        event: r.event,
        receivedAt: r.received_at,
        ...(r.decision ? { decision: JSON.parse(r.decision) as ForwardedDelivery["decision"] } : {}),
        ...(r.thread_key ? { threadKey: r.thread_key } : {}),
      };
    });
    const [namespace, name] = provider.split("/");
    const ref = { namespace, name };
    await providerStub(this.env, ref).enqueue(ref, items);
    // The batch is every row of this provider up to its last intake sequence (whole rows, in order).
    this.sql`DELETE FROM forward_queue WHERE provider = ${provider} AND seq <= ${batch[batch.length - 1].seq}`;
    return items.length;
  }

  /** The cluster as `GET /api/v1/clusters/:cluster` shows it. */
  view(name: string, now = Date.now()): ClusterView {
    this.flushCounts(now);
    const hourly = this.sql<{ hour: number } & IntakeCounts>`
      SELECT hour, accepted, duplicate, unmatched, invalid FROM hourly WHERE hour >= ${now - HOURLY_KEPT_MS} ORDER BY hour`;
    const lastEventAt = this.getState("last_event_at");
    const lastError = this.getState("last_error");
    return {
      name,
      lastEventAt: lastEventAt ? Number(lastEventAt) : null,
      counts: this.counts(),
      backlog: this.sql<{ n: number }>`SELECT COUNT(*) AS n FROM forward_queue`[0].n,
      lastError: lastError ? (JSON.parse(lastError) as { at: number; message: string }) : null,
      hourly: hourly.map((h) => ({ hour: h.hour, accepted: h.accepted, duplicate: h.duplicate, unmatched: h.unmatched, invalid: h.invalid })),
    };
  }

  /** Lifetime counters (for /metrics). */
  counts(): IntakeCounts {
    this.flushCounts(Date.now());
    const counts: IntakeCounts = { accepted: 0, duplicate: 0, unmatched: 0, invalid: 0 };
    for (const row of this.sql<{ outcome: IntakeOutcome; n: number }>`SELECT outcome, n FROM totals`) counts[row.outcome] = row.n;
    return counts;
  }
}

/**
 * The leading rows within FORWARD_BATCH_ITEMS and FORWARD_BATCH_BYTES, cut only between intake
 * rows: a provider remembers the highest intake sequence it stored per cluster, which is exact
 * only if all of one intake row's deliveries to it travel together. The first intake row always
 * goes, whatever its size.
 */
function wholeRows<T extends { seq: number; event: string; metadata: string }>(rows: T[]): T[] {
  const out: T[] = [];
  let bytes = 0;
  for (let i = 0; i < rows.length; ) {
    let j = i;
    let groupBytes = 0;
    for (; j < rows.length && rows[j].seq === rows[i].seq; j++) groupBytes += rows[j].event.length + rows[j].metadata.length;
    if (out.length > 0 && (out.length + (j - i) > FORWARD_BATCH_ITEMS || bytes + groupBytes > FORWARD_BATCH_BYTES)) break;
    out.push(...rows.slice(i, j));
    bytes += groupBytes;
    i = j;
  }
  return out;
}

/** Object ids are plain values that outlive a request (stubs do not): derived once per cluster and isolate. */
const clusterIds = new Map<string, DurableObjectId>();
const CLUSTER_IDS_KEPT = 1024;

/** The Durable Object of a cluster: `idFromName("<cluster>")`. */
export function clusterStub(env: Env, cluster: string) {
  let id = clusterIds.get(cluster);
  if (!id) {
    if (clusterIds.size >= CLUSTER_IDS_KEPT) clusterIds.clear();
    id = env.CLUSTER.idFromName(cluster);
    clusterIds.set(cluster, id);
  }
  return env.CLUSTER.get(id);
}
