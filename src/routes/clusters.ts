import { Hono } from "hono";
import { clusterStub, INTAKE_OUTCOMES, type ClusterView } from "../ingress/cluster-object";
import { knownClusters } from "../ingress/clusters-registry";
import { pendingInvalid, rejectionCounts } from "../ingress/rejections";
import { BadRequestError, NotFoundError } from "../lib/errors";
import { log } from "../lib/log";

const CLUSTER = /^[a-z0-9-]{1,63}$/;

/**
 * One cluster's view, read from its ClusterObject, plus the invalid requests this isolate has
 * counted for it but not handed over yet (src/ingress/rejections.ts).
 */
export async function clusterView(env: Env, name: string): Promise<ClusterView> {
  const view = await clusterStub(env, name).view(name);
  view.counts.invalid += pendingInvalid(name);
  return view;
}

/** Every known cluster (src/ingress/clusters-registry.ts), one ClusterObject call each, in parallel. */
export async function listClusters(env: Env): Promise<ClusterView[]> {
  return Promise.all((await knownClusters(env)).map((name) => clusterView(env, name)));
}

/** Events received by cluster and result for /metrics: the clusters' counters summed on read, plus this isolate's refusals. */
export async function clusterCounts(env: Env): Promise<{ cluster: string; result: string; count: number }[]> {
  const names = await knownClusters(env);
  const settled = await Promise.allSettled(names.map((name) => clusterStub(env, name).counts()));
  const rows: { cluster: string; result: string; count: number }[] = [];
  settled.forEach((s, i) => {
    if (s.status === "rejected") {
      log("warn", "metrics: a cluster object did not answer", { cluster: names[i], error: String(s.reason) });
      return;
    }
    const counts = { ...s.value, invalid: s.value.invalid + pendingInvalid(names[i]) };
    for (const result of INTAKE_OUTCOMES) rows.push({ cluster: names[i], result, count: counts[result] });
  });
  for (const r of rejectionCounts()) rows.push({ cluster: r.cluster, result: r.reason, count: r.count });
  return rows.sort((a, b) => a.cluster.localeCompare(b.cluster) || a.result.localeCompare(b.result));
}

/** `GET /api/v1/clusters` and `GET /api/v1/clusters/:cluster` (mounted behind the API's auth). */
export const clusters = new Hono<{ Bindings: Env }>();

clusters.get("/", async (c) => c.json({ items: await listClusters(c.env) }));

clusters.get("/:cluster", async (c) => {
  const name = c.req.param("cluster");
  if (!CLUSTER.test(name)) throw new BadRequestError("cluster: must match [a-z0-9-]{1,63}");
  if (!(await knownClusters(c.env)).includes(name)) throw new NotFoundError(`cluster ${name} is not known: it has no INGRESS_KEYS entry and never sent an event`);
  return c.json(await clusterView(c.env, name));
});
