/**
 * Hook requests refused before any storage: counted in this isolate's memory only, so an
 * unauthenticated or malformed request costs no Durable Object or KV write. Workers run many
 * isolates, so these numbers are per isolate since it started (a scrape sees one isolate's share).
 * `invalid` of an authenticated cluster is also handed to its ClusterObject with that cluster's
 * next accepted event, where it is counted durably (`takeInvalid`).
 */
export const REJECTIONS = ["unauthorized", "invalid", "too_large", "unavailable"] as const;
export type Rejection = (typeof REJECTIONS)[number];

const counts = new Map<string, number>();
const unflushedInvalid = new Map<string, number>();

/**
 * Counts one refused request; `cluster` is "" until the request authenticated (a label is only
 * trusted then). An authenticated invalid request waits for its cluster's next intake instead.
 */
export function countRejection(cluster: string, reason: Rejection): void {
  if (reason === "invalid" && cluster) {
    unflushedInvalid.set(cluster, (unflushedInvalid.get(cluster) ?? 0) + 1);
    return;
  }
  const key = `${cluster}\u0000${reason}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** This isolate's counts of refused requests, except authenticated invalid ones (see pendingInvalid). */
export function rejectionCounts(): { cluster: string; reason: Rejection; count: number }[] {
  return [...counts].map(([key, count]) => {
    const [cluster, reason] = key.split("\u0000");
    return { cluster, reason: reason as Rejection, count };
  });
}

/** Invalid requests of `cluster` not yet counted by its ClusterObject; the caller hands them over. */
export function takeInvalid(cluster: string): number {
  const n = unflushedInvalid.get(cluster) ?? 0;
  unflushedInvalid.delete(cluster);
  return n;
}

/** Gives back invalid counts whose hand-over failed (the intake call threw). */
export function returnInvalid(cluster: string, n: number): void {
  if (n > 0) unflushedInvalid.set(cluster, (unflushedInvalid.get(cluster) ?? 0) + n);
}

/** Invalid requests of `cluster` this isolate has not handed over yet (added to its view). */
export function pendingInvalid(cluster: string): number {
  return unflushedInvalid.get(cluster) ?? 0;
}
