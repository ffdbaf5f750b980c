import { DurableObject } from "cloudflare:workers";
import { fixedWindowDecision } from "../flux/dedup";
import { countIngress, createIngressTable, readIngressCounts, type IngressCount, type IngressResult } from "./metrics-store";

/** Number of dedup shards: keeps every object far under the ~1,000 req/s soft limit (design 5b). */
export const DEDUP_SHARDS = 64;

export interface Admission {
  admitted: boolean;
  /** Index of the fixed window the event fell in (0 = the first window after first sighting). */
  window: number;
  windowEndMs: number;
  /**
   * Admitted again because the window's first admission was never confirmed as stored (the relay
   * died between admission and enqueue, or it is still in flight). The enqueue is idempotent by
   * ingress id, so nothing is stored twice while the first copy is queued.
   */
  unconfirmed?: true;
}

/**
 * Flux's rate limiter as a strongly consistent store: one token per dedup key per fixed window
 * anchored at first sighting, so duplicates are caught across isolates and colos (KV would let
 * them through). Sharded by key hash; `now` is injectable for tests.
 */
export class DedupObject extends DurableObject<Env> {
  private admits = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS seen (
      key TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, admitted_window INTEGER NOT NULL, expires_at INTEGER NOT NULL)`);
    // Additive migration; rows from before it count as confirmed, as they were treated then.
    const columns = this.ctx.storage.sql.exec<{ name: string }>("PRAGMA table_info(seen)").toArray();
    if (!columns.some((c) => c.name === "unconfirmed")) this.ctx.storage.sql.exec("ALTER TABLE seen ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0");
    createIngressTable(this.ctx.storage.sql);
  }

  /** Counts one ingress outcome for /metrics (events received by cluster and result). */
  countIngress(cluster: string, result: IngressResult): void {
    countIngress(this.ctx.storage.sql, cluster, result);
  }

  ingressCounts(): IngressCount[] {
    return readIngressCounts(this.ctx.storage.sql);
  }

  /**
   * Takes the window's token for `key`. With `provisional`, the admission stays unconfirmed until
   * `confirm`: a sender retrying an event whose first request died between admission and enqueue
   * (a crash) must not be told "duplicate" for an event that was never stored, so it is admitted
   * again instead.
   */
  admit(key: string, windowMs: number, now = Date.now(), provisional = false): Admission {
    const sql = this.ctx.storage.sql;
    const row = sql.exec<{ first_seen: number; admitted_window: number; unconfirmed: number }>(
      "SELECT first_seen, admitted_window, unconfirmed FROM seen WHERE key = ?", key).toArray()[0];
    const decision = fixedWindowDecision(row?.first_seen, row?.admitted_window, now, windowMs);
    if (!decision.admitted && row?.unconfirmed === 1 && row.admitted_window === decision.window) {
      return { admitted: true, window: decision.window, windowEndMs: decision.windowEndMs, unconfirmed: true };
    }
    sql.exec(
      `INSERT INTO seen (key, first_seen, admitted_window, expires_at, unconfirmed) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET first_seen = excluded.first_seen, admitted_window = excluded.admitted_window,
         expires_at = excluded.expires_at, unconfirmed = MAX(seen.unconfirmed, excluded.unconfirmed)`,
      key, decision.firstSeenMs, decision.lastAdmittedWindow, decision.expiresAtMs, decision.admitted && provisional ? 1 : 0);
    if (++this.admits % 100 === 0) sql.exec("DELETE FROM seen WHERE expires_at < ?", now);
    return { admitted: decision.admitted, window: decision.window, windowEndMs: decision.windowEndMs };
  }

  /** The admitted event is stored in every outbox: from now on a resend is a duplicate. */
  confirm(key: string, window: number): void {
    this.ctx.storage.sql.exec("UPDATE seen SET unconfirmed = 0 WHERE key = ? AND admitted_window = ?", key, window);
  }

  /**
   * Gives back an admission whose event could not be stored (the ingress answered 503), so the
   * sender's retry is admitted in the same window instead of being taken for a duplicate; the
   * grid anchored at first sighting is kept.
   */
  release(key: string, window: number): void {
    this.ctx.storage.sql.exec("UPDATE seen SET admitted_window = ? WHERE key = ? AND admitted_window = ?", window - 1, key, window);
  }
}

/** The shard of a dedup key (hex SHA-256): its first two hex digits modulo the shard count. */
export function dedupShard(key: string): string {
  return `dedup-${parseInt(key.slice(0, 2), 16) % DEDUP_SHARDS}`;
}
