import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { providerStub } from "../../src/delivery/provider-stub";
import { ClusterObject, clusterStub } from "../../src/ingress/cluster-object";
import { prepareEvent } from "../../src/ingress/route";
import { parseFluxEvent } from "../../src/flux/event";
import { MAX_BODY_BYTES } from "../../src/ingress/hook";
import { adminJson, alertStatus, boxTarget, freshRelay, sentBeforeProbe, waitFor } from "../support/routing-cases";
import { fixtureEvent, putAlert, putProvider, sendSigned } from "../support/workers";

// Clusters first (README "Multi-cluster"): dedup per cluster, the path's cluster is authoritative,
// Alerts select clusters, and refused requests touch no storage.

const ONE = { accepted: 1, duplicate: false };
const post = async (cluster: string, body: unknown) => (await sendSigned(body, { cluster })).json<{ accepted: number; duplicate: boolean }>();
const metadataOf = (sent: { body: string }[]) => sent.map((r) => JSON.parse(r.body).metadata);

beforeEach(freshRelay);
afterEach(() => vi.restoreAllMocks());

describe("dedup per cluster", () => {
  it("delivers the same event from clusters a and b inside the window twice, once per cluster", async () => {
    const p = boxTarget();
    await putProvider("p", { type: "generic", address: p.address });
    await putAlert("a", { providerRef: { name: "p" } });
    expect(await post("a", fixtureEvent())).toEqual(ONE);
    expect(await post("b", fixtureEvent())).toEqual(ONE);
    const sent = await settled(p, ["a", "b"]);
    expect(metadataOf(sent).map((m) => m.cluster).sort()).toEqual(["a", "b"]);
  });

  it("delivers the same event twice from cluster a once", async () => {
    const p = boxTarget();
    await putProvider("p", { type: "generic", address: p.address });
    await putAlert("a", { providerRef: { name: "p" } });
    expect(await post("a", fixtureEvent())).toEqual(ONE);
    expect(await post("a", fixtureEvent())).toEqual({ accepted: 0, duplicate: true });
    expect(metadataOf(await settled(p, ["a"]))).toEqual([{ cluster: "a", revision: expect.any(String) }]);
  });
});

describe("group commit", () => {
  it("events arriving together are stored in one commit, each decided on its own", async () => {
    const p = boxTarget();
    await putProvider("p", { type: "generic", address: p.address });
    await putAlert("a", { providerRef: { name: "p" } });
    const cluster = `group-${crypto.randomUUID().slice(0, 8)}`;
    const distinct = Array.from({ length: 8 }, (_, i) => fixtureEvent({ message: `distinct ${i}` }));
    const repeated = Array.from({ length: 5 }, () => fixtureEvent({ message: "repeated" }));
    const answers = await Promise.all([...distinct, ...repeated].map((e) => post(cluster, e)));
    expect(answers.slice(0, 8)).toEqual(distinct.map(() => ONE));
    expect(answers.slice(8).filter((a) => !a.duplicate)).toEqual([ONE]);
    const sent = await settled(p, [cluster]);
    expect(sent.map((r) => JSON.parse(r.body).message).sort()).toEqual([...distinct.map((e) => e.message), "repeated"].sort());
    expect((await clusterStub(env, cluster).view(cluster)).counts).toEqual({ accepted: 9, duplicate: 4, unmatched: 0, invalid: 0 });
  });
});

describe("group commit failure", () => {
  it("an event that cannot be stored fails alone; the others of its commit are stored", async () => {
    const cluster = `toolarge-${crypto.randomUUID().slice(0, 8)}`;
    // A provider of its own, so the stored events reach no other test's destination.
    const delivery = { alert: { namespace: "flux-system", name: cluster }, provider: { namespace: "flux-system", name: cluster }, metadata: { cluster }, annotations: {} };
    const request = async (message: string, deliveries = [delivery]) => {
      const prepared = await prepareEvent(parseFluxEvent(JSON.stringify(fixtureEvent({ message }))));
      return { cluster, dedupKey: prepared.dedupKey, windowMs: 300_000, event: prepared.event, deliveries, now: Date.now() };
    };
    const stub = clusterStub(env, cluster);
    // The same Alert twice breaks the forwarding queue's primary key: a write that fails, as a
    // full disk or an oversized row would in production.
    const requests = await Promise.all([request("one"), request("broken", [delivery, delivery]), request("two")]);
    const results = await Promise.allSettled(requests.map((r) => stub.intake(r)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((await stub.view(cluster)).counts).toEqual({ accepted: 2, duplicate: 0, unmatched: 0, invalid: 0 });
  });
});

describe("cluster identity and selection", () => {
  it("labels an event from staging that claims metadata.cluster: prod as staging, and keeps it from an Alert selecting prod-*", async () => {
    const all = boxTarget();
    const prod = boxTarget();
    await putProvider("p", { type: "generic", address: all.address });
    await putProvider("prod", { type: "generic", address: prod.address });
    await putAlert("a", { providerRef: { name: "p" } });
    await putAlertWith("prod-only", { providerRef: { name: "prod" } }, { "flux-relay.fluxcd.io/clusters": "prod-*" });
    const claims = ["event.toolkit.fluxcd.io/cluster", "kustomize.toolkit.fluxcd.io/cluster"];
    for (const key of claims) {
      const event = fixtureEvent({ message: `claim via ${key}`, metadata: { "kustomize.toolkit.fluxcd.io/revision": "main@sha1:1", [key]: "prod" } });
      expect(await post("staging", event)).toEqual(ONE);
    }
    // Forwarded shape (un-prefixed keys) claiming the cluster too.
    expect(await post("staging", fixtureEvent({ message: "claim forwarded", metadata: { cluster: "prod", revision: "main@sha1:1" } }))).toEqual(ONE);
    expect(await post("prod-eu", fixtureEvent({ message: "from prod-eu" }))).toEqual({ accepted: 2, duplicate: false });
    const toAll = await settled(all, ["staging", "prod-eu"], ["p", "prod"]);
    expect(toAll.map((r) => JSON.parse(r.body).metadata.cluster)).toEqual(["staging", "staging", "staging", "prod-eu"]);
    const toProd = await prod.requests();
    expect(toProd.map((r) => [JSON.parse(r.body).message, JSON.parse(r.body).metadata.cluster])).toEqual([["from prod-eu", "prod-eu"]]);
  });

  it("an Alert's own eventMetadata.cluster still wins over the path", async () => {
    const p = boxTarget();
    await putProvider("p", { type: "generic", address: p.address });
    await putAlert("a", { providerRef: { name: "p" }, eventMetadata: { cluster: "renamed" } });
    expect(await post("staging", fixtureEvent())).toEqual(ONE);
    expect(metadataOf(await settled(p, ["staging"])).map((m) => m.cluster)).toEqual(["renamed"]);
  });

  it.each([
    ["prod-*", ["prod-eu", "prod-us"]],
    ["*-eu", ["prod-eu", "dev-eu"]],
    ["staging, dev-eu", ["staging", "dev-eu"]],
    ["prod-?u", ["prod-eu"]],
  ])("selector %j takes events of exactly %j", async (selector, expected) => {
    const p = boxTarget();
    await putProvider("p", { type: "generic", address: p.address });
    await putAlertWith("a", { providerRef: { name: "p" } }, { "flux-relay.fluxcd.io/clusters": selector });
    const clusters = ["prod-eu", "prod-us", "dev-eu", "staging", "prod"];
    for (const cluster of clusters) await post(cluster, fixtureEvent({ message: `from ${cluster} via ${selector}` }));
    const sent = await settled(p, clusters);
    expect(metadataOf(sent).map((m) => m.cluster).sort()).toEqual([...expected].sort());
    expect((await alertStatus()).conditions.find((c) => c.type === "Ready")).toMatchObject({ status: "True" });
  });

  it.each(["", "Prod", "prod,,staging", "prod/eu", "a b"])("an invalid selector %j matches nothing and makes the Alert not Ready (InvalidClusterSelector)", async (selector) => {
    const p = boxTarget();
    await putProvider("p", { type: "generic", address: p.address });
    await putAlertWith("a", { providerRef: { name: "p" } }, { "flux-relay.fluxcd.io/clusters": selector });
    expect(await post("prod", fixtureEvent())).toEqual({ accepted: 0, duplicate: false });
    const { conditions } = await alertStatus();
    expect(conditions.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "InvalidClusterSelector" });
    expect(await settled(p, ["prod"])).toEqual([]);
  });

  it("eventSources namespace '*' matches every namespace, from every cluster", async () => {
    const p = boxTarget();
    await putProvider("p", { type: "generic", address: p.address });
    await putAlert("a", { providerRef: { name: "p" }, eventSources: [{ kind: "Kustomization", name: "*", namespace: "*" }] });
    for (const [cluster, namespace] of [["a", "apps"], ["b", "kube-system"], ["a", "flux-system"]]) {
      const event = fixtureEvent({ involvedObject: { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: "apps", namespace } });
      expect(await post(cluster, event)).toEqual(ONE);
    }
    const sent = await settled(p, ["a", "b"]);
    expect(sent.map((r) => `${JSON.parse(r.body).metadata.cluster}/${JSON.parse(r.body).involvedObject.namespace}`).sort()).toEqual(["a/apps", "a/flux-system", "b/kube-system"]);
  });
});

describe("refused requests write nothing", () => {
  it("401, 400 and 413 leave every Durable Object's storage and KV untouched", async () => {
    await putProvider("p", { type: "generic", address: boxTarget().address });
    await putAlert("a", { providerRef: { name: "p" } });
    // An existing cluster object, whose storage must not change either.
    expect(await post("known", fixtureEvent())).toEqual(ONE);
    await settled(boxTarget(), ["known"]);
    const before = await stableSnapshot();
    const event = JSON.stringify(fixtureEvent({ message: "refused" }));
    const refused = [
      await sendSigned(event, { cluster: "known", key: "wrong-key" }),
      await sendSigned(event, { cluster: "never-seen", key: "wrong-key" }),
      await exports.default.fetch("http://relay/hook/never-seen", { method: "POST", body: event }),
      await sendSigned("{not json", { cluster: "known" }),
      await sendSigned("{not json", { cluster: "never-seen" }),
      await sendSigned(fixtureEvent({ timestamp: "" }), { cluster: "never-seen" }),
      await sendSigned(event, { cluster: "Not_A_Cluster" }),
      await sendSigned("x".repeat(MAX_BODY_BYTES + 1), { cluster: "never-seen" }),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 400, 400, 400, 400, 413]);
    expect(await storageSnapshot()).toEqual(before);
  });
});

describe("cluster views", () => {
  it("GET /api/v1/clusters lists keyed and sending clusters with counts, backlog, last event and hourly buckets", async () => {
    const p = boxTarget();
    await putProvider("p", { type: "generic", address: p.address });
    await putAlert("a", { providerRef: { name: "p" }, eventSources: [{ kind: "Kustomization", name: "apps" }] });
    const cluster = `view-${crypto.randomUUID().slice(0, 8)}`;
    const started = Date.now();
    expect(await post(cluster, fixtureEvent())).toEqual(ONE);
    expect(await post(cluster, fixtureEvent())).toEqual({ accepted: 0, duplicate: true });
    expect(await post(cluster, fixtureEvent({ involvedObject: { kind: "Kustomization", name: "other", namespace: "flux-system" } }))).toEqual({ accepted: 0, duplicate: false });
    expect((await sendSigned("{not json", { cluster })).status).toBe(400);
    await settled(p, [cluster]);
    const view = await waitFor(async () => {
      const { items } = await adminJson("/clusters");
      return items.find((c: { name: string; backlog: number }) => c.name === cluster && c.backlog === 0);
    });
    expect(view).toEqual({
      name: cluster,
      lastEventAt: expect.any(Number),
      counts: { accepted: 1, duplicate: 1, unmatched: 1, invalid: 1 },
      backlog: 0,
      lastError: null,
      hourly: [{ hour: Math.floor(view.lastEventAt / 3_600_000) * 3_600_000, accepted: 1, duplicate: 1, unmatched: 1, invalid: 0 }],
    });
    expect(view.lastEventAt).toBeGreaterThanOrEqual(started);
    // `rotating` has its own INGRESS_KEYS entry: listed before it ever sends.
    const { items } = await adminJson("/clusters");
    expect(items.map((c: { name: string }) => c.name)).toContain("rotating");
    expect(await adminJson(`/clusters/${cluster}`)).toMatchObject({ name: cluster, counts: { accepted: 1 } });
    expect((await exports.default.fetch("http://relay/api/v1/clusters/unknown-cluster", { headers: { authorization: "Bearer test-admin-token" } })).status).toBe(404);
  });

  it("records the cluster on every delivery row", async () => {
    const p = boxTarget();
    await putProvider("p", { type: "generic", address: p.address });
    await putAlert("a", { providerRef: { name: "p" } });
    expect(await post("prod-eu", fixtureEvent())).toEqual(ONE);
    await settled(p, ["prod-eu"]);
    const { items } = await adminJson("/providers/flux-system/p/deliveries");
    expect(items.find((d: { summary: string }) => d.summary.startsWith("Kustomization/flux-system/apps"))).toMatchObject({ cluster: "prod-eu", outcome: "delivered" });
  });
});

describe("forwarding is idempotent by intake sequence", () => {
  it("a provider stores a re-forwarded batch once, even after the first copy was delivered", async () => {
    const p = boxTarget();
    await putProvider("p", { type: "generic", address: p.address });
    const ref = { namespace: "flux-system", name: "p" };
    const cluster = `refwd-${crypto.randomUUID().slice(0, 8)}`;
    const item = (seq: number, alert: string) => ({
      id: `${cluster}/${seq}/flux-system/${alert}`,
      cluster,
      alert: { namespace: "flux-system", name: alert },
      event: JSON.stringify(parseFluxEvent(JSON.stringify(fixtureEvent({ message: `seq ${seq} ${alert}`, metadata: { cluster } })))),
      receivedAt: Date.now(),
    });
    const batch = [item(1, "x"), item(1, "y"), item(2, "x")];
    expect(await providerStub(env, ref).enqueue(ref, batch)).toEqual({ queued: 3, dropped: 0, refused: 0 });
    await putAlert("a", { providerRef: { name: "p" } });
    await sentBeforeProbe(p);
    // The cluster crashed before deleting its forwarded rows: the same batch arrives again.
    expect(await providerStub(env, ref).enqueue(ref, batch)).toEqual({ queued: 0, dropped: 0, refused: 0 });
    expect(await providerStub(env, ref).enqueue(ref, [item(3, "x")])).toEqual({ queued: 1, dropped: 0, refused: 0 });
    const sent = await sentBeforeProbe(p);
    expect(sent.map((r) => JSON.parse(r.body).message)).toEqual(["seq 1 x", "seq 1 y", "seq 2 x", "seq 3 x"]);
  });
});

describe("schema migration", () => {
  it("an object created with the first schema keeps its dedup keys and unforwarded deliveries", async () => {
    const p = boxTarget();
    await putProvider("p", { type: "generic", address: p.address });
    await putAlert("a", { providerRef: { name: "p" } });
    const cluster = `migrate-${crypto.randomUUID().slice(0, 8)}`;
    const known = await prepareEvent(parseFluxEvent(JSON.stringify(fixtureEvent({ message: "known" }))));
    const waiting = parseFluxEvent(JSON.stringify(fixtureEvent({ message: "waiting", metadata: { cluster } })));
    const now = Date.now();
    const tables = await runInDurableObject(clusterStub(env, cluster), async (_: ClusterObject, state: DurableObjectState) => {
      const sql = state.storage.sql;
      sql.exec(`CREATE TABLE seen (key TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, admitted_window INTEGER NOT NULL, expires_at INTEGER NOT NULL);
        CREATE TABLE pending (seq INTEGER NOT NULL, alert TEXT NOT NULL, provider TEXT NOT NULL, metadata TEXT NOT NULL, decision TEXT, thread_key TEXT, PRIMARY KEY (seq, alert))`);
      sql.exec("INSERT INTO seen VALUES (?, ?, 0, ?)", known.dedupKey, now, now + 600_000);
      const seq = sql.exec<{ seq: number }>("INSERT INTO intake (received_at, event) VALUES (?, ?) RETURNING seq", now, JSON.stringify(waiting)).one().seq;
      sql.exec("INSERT INTO pending VALUES (?, 'flux-system/a', 'flux-system/p', ?, NULL, NULL)", seq, JSON.stringify(waiting.metadata));
      sql.exec("INSERT INTO state (key, value) VALUES ('name', ?) ON CONFLICT(key) DO NOTHING", cluster);
      // The next start of the object runs the constructor on this storage, then forwards.
      await new ClusterObject(state, env).alarm();
      return sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('seen', 'pending', 'dedup', 'forward_queue') ORDER BY name").toArray().map((t) => t.name);
    });
    expect(tables).toEqual(["dedup", "forward_queue"]);
    expect(await post(cluster, fixtureEvent({ message: "known" }))).toEqual({ accepted: 0, duplicate: true });
    const sent = await settled(p, [cluster]);
    expect(sent.map((r) => JSON.parse(r.body).message)).toEqual(["waiting"]);
    expect(metadataOf(sent)).toEqual([{ cluster }]);
  });
});

async function putAlertWith(name: string, spec: Record<string, unknown>, annotations: Record<string, string>): Promise<void> {
  await env.CONFIG.put(`alerts/flux-system/${name}`, JSON.stringify({
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    metadata: { name, namespace: "flux-system", annotations },
    spec: { eventSources: [{ kind: "Kustomization", name: "*" }], ...spec },
  }));
}

/**
 * Everything the given providers were sent once the given clusters forwarded their whole intake
 * log and the providers' outboxes are empty. Providers keep one FIFO, but two clusters forward
 * independently, so a probe event from one cluster proves nothing about another's.
 */
async function settled(target: ReturnType<typeof boxTarget>, clusters: string[], providers = ["p"]) {
  await waitFor(async () => {
    const backlogs = await Promise.all(clusters.map(async (c) => (await clusterStub(env, c).view(c)).backlog));
    const depths = await Promise.all(providers.map(async (name) => (await providerStub(env, { namespace: "flux-system", name }).status({ namespace: "flux-system", name })).queueDepth));
    return [...backlogs, ...depths].every((n) => n === 0) ? true : undefined;
  });
  return target.requests();
}

/** A snapshot that two reads 200 ms apart agree on (no alarm of an earlier test still writing). */
async function stableSnapshot(): Promise<unknown> {
  let previous = await storageSnapshot();
  for (let i = 0; i < 25; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const next = await storageSnapshot();
    if (JSON.stringify(next) === JSON.stringify(previous)) return next;
    previous = next;
  }
  throw new Error("storage never settled");
}

/** Every Durable Object id of both namespaces, each object's SQLite content, and every KV key. */
async function storageSnapshot(): Promise<unknown> {
  const dump = async (ns: DurableObjectNamespace) => {
    const ids = await listDurableObjectIds(ns);
    const objects: [string, string][] = [];
    for (const id of ids) {
      const tables = await runInDurableObject(ns.get(id), (_: unknown, state: DurableObjectState): string => {
        const names = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray();
        return JSON.stringify(names.map((t) => [t.name, state.storage.sql.exec(`SELECT * FROM "${t.name}"`).toArray()]));
      });
      objects.push([id.toString(), tables]);
    }
    return Object.fromEntries(objects);
  };
  const kv = await env.CONFIG.list();
  return { clusters: await dump(env.CLUSTER as unknown as DurableObjectNamespace), providers: await dump(env.PROVIDER as unknown as DurableObjectNamespace), kv: kv.keys.map((k) => k.name).sort() };
}
