import { loadConfig } from "../config/store";
import { dedupKey } from "../flux/dedup";
import type { FluxEvent } from "../flux/event";
import { providerFilter } from "../flux/filters";
import { matchAlert } from "../flux/match";
import { cleanMetadata, combineMetadata, removeToken } from "../flux/metadata";
import { UnavailableError } from "../lib/errors";
import { log } from "../lib/log";
import { dedupShard, type Admission } from "./dedup-object";
import type { EnqueueItem, ProviderRef } from "./provider-object";

/** What happened to one event at the ingress. */
export interface DispatchResult {
  duplicate: boolean;
  /** Deliveries stored in provider outboxes. */
  accepted: number;
  /** `<ns>/<name>` of every Alert that selected the event. */
  matchedAlerts: string[];
  /** Alerts that matched but delivered nothing, with the reason (suspended provider, type filter, missing provider). */
  skipped: { alert: string; reason: string }[];
}

export function dedupWindowMs(env: Env): number {
  const seconds = Number(env.DEDUP_WINDOW_SECONDS ?? 300);
  // go-limiter falls back to 1 s for a zero interval.
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 1) * 1000;
}

export function providerStub(env: Env, ref: ProviderRef) {
  return env.PROVIDER.get(env.PROVIDER.idFromName(`${ref.namespace}/${ref.name}`));
}

/**
 * Flux's event pipeline (event-routing-spec 1.2) with a durable end: metadata cleanup, dedup
 * (before matching, consuming the window even when nothing matches), token removal, Alert
 * matching, per-Alert provider checks and metadata combination, then one transactional enqueue
 * per provider. Resolves only when every outbox has stored its rows, then confirms the dedup
 * admission; on a storage failure the admission is given back and a 503 tells the sender to retry.
 */
export async function dispatchEvent(env: Env, received: FluxEvent, cluster: string, now = Date.now()): Promise<DispatchResult> {
  const cleaned = cleanMetadata(received);
  const key = await dedupKey(cleaned);
  const dedup = env.DEDUP.get(env.DEDUP.idFromName(dedupShard(key)));
  let admission: Admission;
  try {
    admission = await dedup.admit(key, dedupWindowMs(env), now, true);
  } catch (err) {
    log("error", "dedup store unavailable", { cluster, error: String(err) });
    throw new UnavailableError("the dedup store is unavailable; retry later", 5);
  }
  const result: DispatchResult = { duplicate: !admission.admitted, accepted: 0, matchedAlerts: [], skipped: [] };
  if (!admission.admitted) return result;

  const event = removeToken(cleaned);
  let config;
  try {
    config = await loadConfig(env, now);
  } catch (err) {
    log("error", "configuration unreadable", { cluster, error: String(err) });
    throw new UnavailableError("the configuration store (KV) is unavailable; nothing was accepted, retry later", 5);
  }
  const byProvider = new Map<string, { ref: ProviderRef; items: EnqueueItem[] }>();
  for (const alert of config.alerts) {
    const match = matchAlert(event, alert);
    const alertName = `${alert.metadata.namespace}/${alert.metadata.name}`;
    for (const problem of match.problems) log("warn", problem.message, { alert: alertName, reason: problem.reason });
    if (!match.matched) continue;
    result.matchedAlerts.push(alertName);
    const ref = { namespace: alert.metadata.namespace, name: alert.spec.providerRef.name };
    const provider = config.providers.get(`${ref.namespace}/${ref.name}`);
    if (!provider) {
      const reason = `failed to read provider ${ref.namespace}/${ref.name}: not found`;
      // Flux records this as a NotificationDispatchFailed Warning on the Alert: a log line here, and the Alert's status.
      log("warn", `failed to dispatch notification for ${event.involvedObject.kind}/${event.involvedObject.namespace}/${event.involvedObject.name}: ${reason}`, {
        alert: alertName,
        reason: "NotificationDispatchFailed",
      });
      result.skipped.push({ alert: alertName, reason });
      continue;
    }
    if (provider.spec.suspend) {
      result.skipped.push({ alert: alertName, reason: "provider suspended" });
      continue;
    }
    const filter = providerFilter(event, provider.spec.type);
    if (!filter.pass) {
      result.skipped.push({ alert: alertName, reason: filter.reason });
      continue;
    }
    const combined = combineMetadata(event, alert, cluster);
    if (Object.keys(combined.conflicts).length > 0) {
      log("info", "warning: metadata key conflicts detected", { alert: alertName, reason: "MetadataAppendFailed", conflicts: combined.conflicts });
    }
    const providerKey = `${ref.namespace}/${ref.name}`;
    const group = byProvider.get(providerKey) ?? { ref, items: [] };
    group.items.push({ payload: { event: combined.event, alert, cluster }, ingressId: `${key}:${admission.window}:${alertName}` });
    byProvider.set(providerKey, group);
  }

  try {
    const stored = await Promise.all([...byProvider.values()].map((g) => providerStub(env, g.ref).enqueue(g.ref, g.items, now)));
    result.accepted = stored.reduce((sum, s) => sum + s.queued, 0);
  } catch (err) {
    log("error", "outbox enqueue failed", { cluster, error: String(err) });
    await dedup.release(key, admission.window).catch(() => undefined);
    throw new UnavailableError("durable storage failed; nothing was accepted, retry later", 5);
  }
  // Stored: the event may be answered 202. A failed confirmation only means a resend in this
  // window is admitted again and its enqueue finds the rows already there.
  await dedup.confirm(key, admission.window).catch((err) => log("warn", "dedup confirmation failed", { cluster, error: String(err) }));
  // Re-admitted after an unconfirmed first attempt, and every row was already stored: a duplicate.
  if (admission.unconfirmed && result.accepted === 0) result.duplicate = true;
  return result;
}
