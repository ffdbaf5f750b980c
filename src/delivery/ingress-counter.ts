import { log } from "../lib/log";
import { DEDUP_SHARDS } from "./dedup-object";
import { INGRESS_RESULTS, type IngressCount, type IngressResult } from "./metrics-store";

/** The ingress result of an answered hook request (the `result` label). */
export function ingressResult(status: number, outcome?: "accepted" | "unmatched" | "duplicate"): IngressResult {
  if (status === 202) return outcome ?? "accepted";
  if (status === 401) return "unauthorized";
  if (status === 400) return "invalid";
  if (status === 413) return "too_large";
  if (status === 503) return "unavailable";
  return "error";
}

function shard(env: Env, index: number) {
  return env.DEDUP.get(env.DEDUP.idFromName(`dedup-${index}`));
}

/**
 * Adds one request to a random dedup shard's counters: every shard takes an equal share, so no
 * single object sits on the ingress path (design 5b). Never throws: a lost count must not fail
 * an event that was already answered.
 */
export async function recordIngress(env: Env, cluster: string, result: IngressResult): Promise<void> {
  try {
    await shard(env, Math.floor(Math.random() * DEDUP_SHARDS)).countIngress(cluster, result);
  } catch (err) {
    log("warn", "ingress counter update failed", { cluster, result, error: String(err) });
  }
}

/** Sums the counters of every shard. */
export async function ingressTotals(env: Env): Promise<IngressCount[]> {
  const perShard = await Promise.all(Array.from({ length: DEDUP_SHARDS }, (_, i) => shard(env, i).ingressCounts()));
  const totals = new Map<string, IngressCount>();
  for (const row of perShard.flat()) {
    const key = `${row.cluster}\u0000${row.result}`;
    const seen = totals.get(key);
    if (seen) seen.count += row.count;
    else totals.set(key, { ...row });
  }
  const order = (r: IngressResult) => INGRESS_RESULTS.indexOf(r);
  return [...totals.values()].sort((a, b) => a.cluster.localeCompare(b.cluster) || order(a.result) - order(b.result));
}
