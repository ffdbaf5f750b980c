import type { FluxEvent } from "../flux/event";
import { postedMessageTs } from "../notifiers/slack";
import type { SlackThreadReply } from "../notifiers/types";
import { NOISE_STATE_MAX_IDLE_MS, TRANSITION_KEY } from "../rules/noise";

/**
 * Slack threads per failing object (`flux-relay.fluxcd.io/slack-thread: object`,
 * docs/noise-control.md), kept by the ProviderObject: the `ts` of a thread is known only once
 * chat.postMessage answered, and only the provider that posted it can reply in it. The first
 * failure of an object posts a message and its `ts` is kept under the delivery's thread key
 * (src/rules/noise.ts); later notices about the object reply in that thread; the recovery replies
 * with `reply_broadcast` so the channel sees it, and the thread is forgotten.
 */

/** The provider object's table of open threads, created with its own tables; stale rows swept on wake-up. */
export function createSlackThreadTable(sql: SqlStorage, now = Date.now()): void {
  sql.exec("CREATE TABLE IF NOT EXISTS slack_threads (key TEXT PRIMARY KEY, ts TEXT NOT NULL, at INTEGER NOT NULL)");
  // An object failing this long without a notice was deleted from its cluster: its thread is done.
  sql.exec("DELETE FROM slack_threads WHERE at < ?", now - NOISE_STATE_MAX_IDLE_MS);
}

/** The thread a notice replies in, if its object has one open. */
export function threadReply(sql: SqlStorage, threadKey: string, event: FluxEvent): SlackThreadReply | undefined {
  const row = sql.exec<{ ts: string }>("SELECT ts FROM slack_threads WHERE key = ?", threadKey).toArray()[0];
  return row && { ts: row.ts, broadcast: event.metadata[TRANSITION_KEY] === "recovered" };
}

/**
 * After a delivered notice: a recovery closes the thread; a first failure opens one with the `ts`
 * chat.postMessage answered. Call inside the transaction that records the delivery.
 */
export function recordThread(sql: SqlStorage, threadKey: string, event: FluxEvent, replied: boolean, responseBody: string | undefined, now: number): void {
  if (event.metadata[TRANSITION_KEY] === "recovered") {
    sql.exec("DELETE FROM slack_threads WHERE key = ?", threadKey);
    return;
  }
  if (replied) {
    sql.exec("UPDATE slack_threads SET at = ? WHERE key = ?", now, threadKey);
    return;
  }
  const ts = responseBody === undefined ? undefined : postedMessageTs(responseBody);
  if (ts) sql.exec("INSERT INTO slack_threads (key, ts, at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET ts = excluded.ts, at = excluded.at", threadKey, ts, now);
}
