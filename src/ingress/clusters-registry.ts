import { relayEnv } from "../env";
import { keyedClusters } from "./keys";

/** KV prefix of the clusters that ever delivered an authenticated event: `clusters/<name>`. */
export const CLUSTERS_PREFIX = "clusters/";

/**
 * Records a cluster in KV. Its ClusterObject calls this once, on its first forwarding run after
 * its first intake (never on the ingress path, never for an unauthenticated request).
 */
export async function registerCluster(env: Env, name: string, at: number): Promise<void> {
  await env.CONFIG.put(`${CLUSTERS_PREFIX}${name}`, JSON.stringify({ firstSeenAt: at }));
}

/**
 * Every cluster the relay knows, sorted: the names INGRESS_KEYS lists (expected to send, even if
 * silent so far, so a cluster that never sent shows up) plus every cluster that has sent an event
 * (KV `clusters/<name>`, covering clusters served by the `*` key).
 */
export async function knownClusters(env: Env): Promise<string[]> {
  const names = new Set(keyedClusters(relayEnv(env).ingressKeys));
  let cursor: string | undefined;
  do {
    const page = await env.CONFIG.list({ prefix: CLUSTERS_PREFIX, cursor });
    for (const key of page.keys) names.add(key.name.slice(CLUSTERS_PREFIX.length));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return [...names].sort();
}
