import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fixtureEvent } from "../support/workers";
import {
  adminJson,
  alertStatus,
  boxTarget,
  captureLogs,
  deliveredOnce,
  freshRelay,
  notDelivered,
  NONE,
  post,
  putA,
  putP,
  REVISION,
  sentBeforeProbe,
} from "../support/routing-cases";

// event-routing-spec section 10, cases 1-28: source matching, severity, suspension, provider
// lookup, inclusion/exclusion lists and fan-out, each through POST /hook/:cluster.

const ONE = { status: 202, body: { accepted: 1, duplicate: false } };
const ZERO = { status: 202, body: NONE };
const inNamespace = (namespace: string) =>
  fixtureEvent({ involvedObject: { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: "apps", namespace } });

beforeEach(freshRelay);
afterEach(() => vi.restoreAllMocks());

describe("event sources", () => {
  it("case 01: baseline delivered once, HTTP 202, metadata prefix stripped (plus the relay's lowest-precedence cluster key)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    expect(await post(fixtureEvent())).toEqual(ONE);
    const body = await deliveredOnce(p);
    expect(body.metadata).toEqual({ cluster: "test", revision: REVISION });
  });

  it("case 02: kind mismatch (GitRepository event) is not delivered; HTTP 202", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    const gitRepository = fixtureEvent({ involvedObject: { apiVersion: "source.toolkit.fluxcd.io/v1", kind: "GitRepository", name: "apps", namespace: "flux-system" } });
    expect(await post(gitRepository)).toEqual(ZERO);
    await notDelivered(p);
  });

  it("case 03: source with the exact name is delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSources: [{ kind: "Kustomization", name: "apps" }] });
    expect(await post(fixtureEvent())).toEqual(ONE);
    await deliveredOnce(p);
  });

  it("case 04: names are exact, a prefix ('app') is not delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSources: [{ kind: "Kustomization", name: "app" }] });
    expect(await post(fixtureEvent())).toEqual(ZERO);
    await notDelivered(p);
  });

  it("case 05: only the literal '*' is a wildcard, 'ap*' is not delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSources: [{ kind: "Kustomization", name: "ap*" }] });
    expect(await post(fixtureEvent())).toEqual(ZERO);
    await notDelivered(p);
  });

  it("case 06: kind 'kustomization' is not delivered (relay enforces the CRD kind enum, so A is reported invalid instead of silently never matching)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSources: [{ kind: "kustomization", name: "*" }] });
    expect(await post(fixtureEvent())).toEqual(ZERO);
    await notDelivered(p);
    const list = await adminJson("/alerts");
    expect(list.invalid).toEqual([expect.objectContaining({ key: "alerts/flux-system/a", details: [expect.stringContaining("spec.eventSources.0.kind")] })]);
  });

  it("case 07: an omitted source namespace defaults to the Alert's, an event in 'apps' is not delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    expect(await post(inNamespace("apps"))).toEqual(ZERO);
    await notDelivered(p);
  });

  it("case 08: an explicit cross-namespace source is delivered (allowed by default)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSources: [{ kind: "Kustomization", name: "*", namespace: "apps" }] });
    expect(await post(inNamespace("apps"))).toEqual(ONE);
    await deliveredOnce(p);
  });

  it("case 09 (relay: no --no-cross-namespace-refs flag, README; cross-namespace sources stay allowed as in Flux's default): delivered, no dispatch failure", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSources: [{ kind: "Kustomization", name: "*", namespace: "apps" }] });
    expect(await post(inNamespace("apps"))).toEqual(ONE);
    await deliveredOnce(p);
    expect((await alertStatus()).dispatchFailures).toEqual([]);
  });

  it("case 10 (documented relay difference): namespace '*' matches every namespace, so events of any namespace are delivered and the Alert is Ready", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSources: [{ kind: "Kustomization", name: "*", namespace: "*" }] });
    expect(await post(fixtureEvent())).toEqual(ONE);
    expect(await post(inNamespace("apps"))).toEqual(ONE);
    const sent = await sentBeforeProbe(p);
    expect(sent.map((r) => JSON.parse(r.body).involvedObject.namespace)).toEqual(["flux-system", "apps"]);
    const { conditions } = await alertStatus();
    expect(conditions.find((c) => c.type === "Ready")).toMatchObject({ status: "True" });
  });

  it("case 11: the source apiVersion is ignored: v1beta2 source, v1 event, delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSources: [{ kind: "Kustomization", name: "*", apiVersion: "kustomize.toolkit.fluxcd.io/v1beta2" }] });
    expect(await post(fixtureEvent())).toEqual(ONE);
    await deliveredOnce(p);
  });
});

describe("eventSeverity", () => {
  it("case 12: eventSeverity error, severity info: not delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSeverity: "error" });
    expect(await post(fixtureEvent())).toEqual(ZERO);
    await notDelivered(p);
  });

  it("case 13: eventSeverity error, severity error: delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSeverity: "error" });
    expect(await post(fixtureEvent({ severity: "error" }))).toEqual(ONE);
    expect((await deliveredOnce(p)).severity).toBe("error");
  });

  it("case 14: eventSeverity info, severity error: delivered (info passes everything)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSeverity: "info" });
    expect(await post(fixtureEvent({ severity: "error" }))).toEqual(ONE);
    await deliveredOnce(p);
  });

  it("case 15: eventSeverity absent in KV, the relay applies the info default: severity error delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    expect((await adminJson("/alerts/flux-system/a")).spec.eventSeverity).toBe("info");
    expect(await post(fixtureEvent({ severity: "error" }))).toEqual(ONE);
    await deliveredOnce(p);
  });

  it("case 16: eventSeverity info, unknown severity 'warning': delivered (severity not validated)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSeverity: "info" });
    expect(await post(fixtureEvent({ severity: "warning" }))).toEqual(ONE);
    expect((await deliveredOnce(p)).severity).toBe("warning");
  });
});

describe("suspension and provider lookup", () => {
  it("case 17: suspended Alert: not delivered, skipped silently (no warning logged, no dispatch failure)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ suspend: true });
    const logs = captureLogs();
    expect(await post(fixtureEvent())).toEqual(ZERO);
    expect(logs.find((l) => l.msg === "event received")).toMatchObject({ matchedAlerts: [], skipped: [] });
    expect(logs.filter((l) => l.level !== "info")).toEqual([]);
    await notDelivered(p);
    expect((await alertStatus()).dispatchFailures).toEqual([]);
  });

  it("case 18: suspended Provider: not delivered, skipped silently (no warning logged, no dispatch failure)", async () => {
    const p = boxTarget();
    await putP(p, { suspend: true });
    await putA();
    const logs = captureLogs();
    expect(await post(fixtureEvent())).toEqual(ZERO);
    expect(logs.filter((l) => l.level !== "info")).toEqual([]);
    expect((await alertStatus()).dispatchFailures).toEqual([]);
    // Resumed only for the probe: had the event been kept while suspended, it would arrive first.
    await putP(p);
    await notDelivered(p);
  });

  it("case 19: providerRef to a missing Provider: not delivered; 202; 'failed to read provider' (Alert status and log instead of the NotificationDispatchFailed event)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ providerRef: { name: "missing" } });
    const logs = captureLogs();
    expect(await post(fixtureEvent())).toEqual(ZERO);
    expect(logs.find((l) => l.msg === "event received")?.skipped).toEqual([
      { alert: "flux-system/a", reason: expect.stringContaining("failed to read provider flux-system/missing") },
    ]);
    const { conditions } = await alertStatus();
    expect(conditions.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "Failed", message: "failed to get provider 'flux-system/missing': not found" });
    await notDelivered(p);
  });
});

describe("inclusion and exclusion lists", () => {
  it("case 20: inclusionList ['revision'] is an unanchored substring match: delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ inclusionList: ["revision"] });
    expect(await post(fixtureEvent())).toEqual(ONE);
    await deliveredOnce(p);
  });

  it("case 21: inclusionList ['^revision'] does not match 'Applied revision...': not delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ inclusionList: ["^revision"] });
    expect(await post(fixtureEvent())).toEqual(ZERO);
    await notDelivered(p);
  });

  it("case 22: inclusionList ['ReconciliationSucceeded'] is matched against the message, not the reason: not delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ inclusionList: ["ReconciliationSucceeded"] });
    expect(await post(fixtureEvent())).toEqual(ZERO);
    await notDelivered(p);
  });

  it("case 23: invalid inclusion entry '[' never matches: not delivered; InvalidConfig (log line and Alert status)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ inclusionList: ["["] });
    const logs = captureLogs();
    expect(await post(fixtureEvent())).toEqual(ZERO);
    expect(logs).toContainEqual(expect.objectContaining({ level: "warn", msg: "failed to compile inclusion regex: [", alert: "flux-system/a", reason: "InvalidConfig" }));
    await notDelivered(p);
    const { conditions } = await alertStatus();
    expect(conditions.find((c) => c.type === "Stalled")).toMatchObject({ status: "True", reason: "InvalidConfig", message: expect.stringContaining("failed to compile inclusion regex: [") });
  });

  it("case 24: invalid exclusion entry '[' excludes nothing: delivered; InvalidConfig (log line and Alert status)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ exclusionList: ["["] });
    const logs = captureLogs();
    expect(await post(fixtureEvent())).toEqual(ONE);
    expect(logs).toContainEqual(expect.objectContaining({ level: "warn", msg: "failed to compile exclusion regex: [", alert: "flux-system/a", reason: "InvalidConfig" }));
    await deliveredOnce(p);
    const { conditions } = await alertStatus();
    expect(conditions.find((c) => c.type === "Stalled")).toMatchObject({ status: "True", reason: "InvalidConfig", message: expect.stringContaining("failed to compile exclusion regex: [") });
  });

  it("case 25: exclusion beats inclusion: not delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ inclusionList: ["Applied"], exclusionList: ["main@"] });
    expect(await post(fixtureEvent())).toEqual(ZERO);
    await notDelivered(p);
  });

  it("case 26: RE2 inline flag '(?i)APPLIED' excludes: not delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ exclusionList: ["(?i)APPLIED"] });
    const logs = captureLogs();
    expect(await post(fixtureEvent())).toEqual(ZERO);
    expect(logs.filter((l) => l.reason === "InvalidConfig")).toEqual([]);
    await notDelivered(p);
  });
});

describe("fan-out", () => {
  it("case 27: two matching sources in one Alert: delivered once", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventSources: [{ kind: "Kustomization", name: "*" }, { kind: "Kustomization", name: "apps" }] });
    expect(await post(fixtureEvent())).toEqual(ONE);
    await deliveredOnce(p);
  });

  it("case 28: a second Alert B identical to A, same Provider: delivered twice", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    await putA({}, "b");
    expect(await post(fixtureEvent())).toEqual({ status: 202, body: { accepted: 2, duplicate: false } });
    const sent = await sentBeforeProbe(p);
    expect(sent).toHaveLength(2);
    expect(sent[0].body).toBe(sent[1].body);
  });
});
