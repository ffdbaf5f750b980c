import { DurableObject } from "cloudflare:workers";
import { fixedWindowDecision, isExpired } from "../flux/dedup";

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
      key TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, admitted_window INTEGER, last_seen INTEGER NOT NULL)`);
  }

  admit(key: string, windowMs: number, now = Date.now()): Admission {
    const sql = this.ctx.storage.sql;
    const row = sql.exec<{ first_seen: number; admitted_window: number | null; last_seen: number }>(
      "SELECT first_seen, admitted_window, last_seen FROM seen WHERE key = ?", key).toArray()[0];
    const known = row && !isExpired(row.last_seen, now, windowMs) ? row : undefined;
    const decision = fixedWindowDecision(known?.first_seen, known?.admitted_window ?? undefined, now, windowMs);
    sql.exec(
      `INSERT INTO seen (key, first_seen, admitted_window, last_seen) VALUES (?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET first_seen = excluded.first_seen, admitted_window = excluded.admitted_window, last_seen = excluded.last_seen`,
      key, decision.firstSeenMs, decision.admitted ? decision.window : (known?.admitted_window ?? null), now);
    if (++this.admits % 100 === 0) this.sweep(windowMs, now);
    return { admitted: decision.admitted, window: decision.window, windowEndMs: decision.windowEndMs };
  }

  /**
   * Gives back an admission whose event could not be stored (the ingress answered 503), so the
   * sender's retry is admitted instead of being taken for a duplicate.
   */
  release(key: string, window: number): void {
    this.ctx.storage.sql.exec("UPDATE seen SET admitted_window = NULL WHERE key = ? AND admitted_window = ?", key, window);
  }

  /** Forgets keys idle for more than two windows, as Flux's store housekeeping does. */
  private sweep(windowMs: number, now: number): void {
    this.ctx.storage.sql.exec("DELETE FROM seen WHERE last_seen < ?", now - 2 * Math.max(windowMs, 1000));
  }
}

/** The shard of a dedup key (hex SHA-256): its first two hex digits modulo the shard count. */
export function dedupShard(key: string): string {
  return `dedup-${parseInt(key.slice(0, 2), 16) % DEDUP_SHARDS}`;
}
