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
    createIngressTable(this.ctx.storage.sql);
  }

  /** Counts one ingress outcome for /metrics (events received by cluster and result). */
  countIngress(cluster: string, result: IngressResult): void {
    countIngress(this.ctx.storage.sql, cluster, result);
  }

  ingressCounts(): IngressCount[] {
    return readIngressCounts(this.ctx.storage.sql);
  }

  admit(key: string, windowMs: number, now = Date.now()): Admission {
    const sql = this.ctx.storage.sql;
    const row = sql.exec<{ first_seen: number; admitted_window: number }>("SELECT first_seen, admitted_window FROM seen WHERE key = ?", key).toArray()[0];
    const decision = fixedWindowDecision(row?.first_seen, row?.admitted_window, now, windowMs);
    sql.exec(
      `INSERT INTO seen (key, first_seen, admitted_window, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET first_seen = excluded.first_seen, admitted_window = excluded.admitted_window, expires_at = excluded.expires_at`,
      key, decision.firstSeenMs, decision.lastAdmittedWindow, decision.expiresAtMs);
    if (++this.admits % 100 === 0) sql.exec("DELETE FROM seen WHERE expires_at < ?", now);
    return { admitted: decision.admitted, window: decision.window, windowEndMs: decision.windowEndMs };
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
