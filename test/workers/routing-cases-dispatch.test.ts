import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { hmacHex } from "../../src/lib/crypto";
import { fixtureEvent, SHA } from "../support/workers";
import {
  adminJson,
  alertStatus,
  boxTarget,
  captureLogs,
  deliveredOnce,
  freshRelay,
  gitHubRepo,
  notDelivered,
  NONE,
  post,
  providerStatus,
  putA,
  putP,
  REVISION,
  sentBeforeProbe,
  waitFor,
  type LogLine,
} from "../support/routing-cases";

// event-routing-spec section 10, cases 36-53: ingestion metadata rules, metadata combination,
// provider-type filters, matchLabels, commitStatusExpr and provider construction, each through
// POST /hook/:cluster.

const ONE = { status: 202, body: { accepted: 1, duplicate: false } };
const ZERO = { status: 202, body: NONE };
const withMetadata = (extra: Record<string, string>, overrides: Record<string, unknown> = {}) =>
  fixtureEvent({ metadata: { "kustomize.toolkit.fluxcd.io/revision": REVISION, ...extra }, ...overrides });
const GITHUB = { type: "github", secretRef: { name: "routing-github" } };
const CONFLICT_MSG = "warning: metadata key conflicts detected";
const ingressLine = (logs: LogLine[]) => logs.find((l) => l.msg === "event received");

beforeEach(freshRelay);
afterEach(() => vi.restoreAllMocks());

describe("metadata at ingestion", () => {
  it("case 36: un-prefixed and foreign-group keys are dropped at ingestion: delivered without foo or x", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    expect(await post(withMetadata({ foo: "bar", "source.toolkit.fluxcd.io/x": "y" }))).toEqual(ONE);
    expect((await deliveredOnce(p)).metadata).toEqual({ cluster: "test", revision: REVISION });
  });

  it("case 37: the object-group digest is removed at ingestion: delivered without digest", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    expect(await post(withMetadata({ "kustomize.toolkit.fluxcd.io/digest": "sha256:1" }))).toEqual(ONE);
    expect((await deliveredOnce(p)).metadata).toEqual({ cluster: "test", revision: REVISION });
  });
});

describe("metadata combination", () => {
  it("case 38: annotations < eventMetadata < controller: delivered {env: prod, revision: <controller>}; MetadataAppendFailed for env and revision (log line)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ eventMetadata: { env: "prod", revision: "x" } });
    const logs = captureLogs();
    expect(await post(withMetadata({ "event.toolkit.fluxcd.io/env": "dev" }))).toEqual(ONE);
    expect((await deliveredOnce(p)).metadata).toEqual({ cluster: "test", env: "prod", revision: REVISION });
    expect(logs.filter((l) => l.msg === CONFLICT_MSG)).toEqual([
      expect.objectContaining({
        alert: "flux-system/a",
        reason: "MetadataAppendFailed",
        conflicts: {
          env: ["involved object annotations", "Alert object .spec.eventMetadata"],
          revision: ["Alert object .spec.eventMetadata", "involved object controller metadata"],
        },
      }),
    ]);
  });

  it("case 39: summary beats eventMetadata and annotations: delivered summary S; the conflict lists all three sources (log line)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ summary: "S", eventMetadata: { summary: "M" } });
    const logs = captureLogs();
    expect(await post(withMetadata({ "event.toolkit.fluxcd.io/summary": "O" }))).toEqual(ONE);
    expect((await deliveredOnce(p)).metadata).toEqual({ cluster: "test", revision: REVISION, summary: "S" });
    expect(logs.find((l) => l.msg === CONFLICT_MSG)?.conflicts).toEqual({
      summary: ["involved object annotations", "Alert object .spec.eventMetadata", "Alert object .spec.summary"],
    });
  });

  it("case 40: controller metadata wins over summary: delivered summary C", async () => {
    const p = boxTarget();
    await putP(p);
    await putA({ summary: "S" });
    expect(await post(withMetadata({ "kustomize.toolkit.fluxcd.io/summary": "C" }))).toEqual(ONE);
    expect((await deliveredOnce(p)).metadata).toEqual({ cluster: "test", revision: REVISION, summary: "C" });
  });
});

describe("provider-type filters", () => {
  it("case 41: commit-status update to a slack Provider: not delivered, nothing logged as warning or error", async () => {
    const p = boxTarget();
    await putP(p, { type: "slack" });
    await putA();
    const logs = captureLogs();
    expect(await post(withMetadata({ "kustomize.toolkit.fluxcd.io/commit_status": "update" }))).toEqual(ZERO);
    await notDelivered(p);
    expect(logs.filter((l) => l.level !== "info")).toEqual([]);
  });

  it("case 42: generic Provider forwards the commit-status update: delivered with commit_status: update", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    expect(await post(withMetadata({ "kustomize.toolkit.fluxcd.io/commit_status": "update" }))).toEqual(ONE);
    expect((await deliveredOnce(p)).metadata).toEqual({ cluster: "test", commit_status: "update", revision: REVISION });
  });

  it("case 43: github Provider, info event without event.toolkit.fluxcd.io/commit: not delivered; info log 'dropped for commit status providers'", async () => {
    const repo = gitHubRepo();
    await putP(repo, GITHUB);
    await putA();
    const logs = captureLogs();
    expect(await post(fixtureEvent())).toEqual(ZERO);
    expect(ingressLine(logs)).toMatchObject({
      level: "info",
      skipped: [{ alert: "flux-system/a", reason: "event dropped for commit status providers due to missing commit metadata key" }],
    });
    await notDelivered(repo);
  });

  it("case 44: github Provider, error event without commit key but with revision: GitHub status 'failure' posted on <SHA>", async () => {
    const repo = gitHubRepo();
    await putP(repo, GITHUB);
    await putA();
    expect(await post(fixtureEvent({ severity: "error" }))).toEqual(ONE);
    const [status, ...rest] = await sentBeforeProbe(repo);
    expect(rest).toEqual([]);
    expect(status.method).toBe("POST");
    expect(status.path).toBe(`${repo.statusesPath}${SHA}`);
    expect(status.headers.authorization).toBe("Bearer ghp-routing-cases");
    expect(JSON.parse(status.body)).toMatchObject({ state: "failure", context: "kustomization/apps/test" });
  });

  it("case 45: github Provider, commit key and reason Progressing: routed, but the notifier posts nothing", async () => {
    const repo = gitHubRepo();
    await putP(repo, GITHUB);
    await putA();
    expect(await post(withMetadata({ "event.toolkit.fluxcd.io/commit": SHA }, { reason: "Progressing" }))).toEqual(ONE);
    expect(await sentBeforeProbe(repo)).toEqual([]);
    const { items } = await adminJson("/providers/flux-system/p/deliveries");
    expect(items.find((d: { alert: string }) => d.alert === "flux-system/a")).toMatchObject({ outcome: "skipped", error: "Progressing events are not posted as commit statuses" });
  });

  it("case 46: githubpullrequestcomment Provider without change_request: not delivered (nothing reaches its outbox); info log", async () => {
    await putP(null, { type: "githubpullrequestcomment", address: "https://github.com/flux/routing", secretRef: { name: "routing-github" } });
    await putA();
    const before = await providerStatus();
    const logs = captureLogs();
    expect(await post(fixtureEvent())).toEqual(ZERO);
    expect(ingressLine(logs)).toMatchObject({
      level: "info",
      skipped: [{ alert: "flux-system/a", reason: "event dropped for change request providers due to missing change request metadata key" }],
    });
    const after = await providerStatus();
    expect(after.queueDepth).toBe(0);
    expect(after.counters.received).toBe(before.counters.received);
  });
});

describe("matchLabels (the relay cannot read live objects, README)", () => {
  const labelled = (name: string) => ({ eventSources: [{ kind: "Kustomization", name, matchLabels: { team: "a" } }] });

  async function expectSourceFetchFailed(logs: LogLine[]) {
    expect(logs).toContainEqual(expect.objectContaining({ level: "warn", alert: "flux-system/a", reason: "SourceFetchFailed" }));
  }

  async function expectStatusSaysNeverMatches() {
    const { conditions } = await alertStatus();
    expect(conditions.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "SourceFetchFailed", message: expect.stringContaining("never matches") });
  }

  it("case 47 (relay: matchLabels never matches — no live objects; Alert status says so): object labelled team=a is not delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA(labelled("*"));
    const logs = captureLogs();
    expect(await post(fixtureEvent())).toEqual(ZERO);
    await expectSourceFetchFailed(logs);
    await notDelivered(p);
    await expectStatusSaysNeverMatches();
  });

  it("case 48 (relay: matchLabels never matches — no live labels to compare): object labelled team=b is not delivered", async () => {
    const p = boxTarget();
    await putP(p);
    await putA(labelled("*"));
    expect(await post(fixtureEvent())).toEqual(ZERO);
    await notDelivered(p);
    await expectStatusSaysNeverMatches();
  });

  it("case 49 (relay: the live object is never readable, as if it no longer existed): not delivered; SourceFetchFailed (log line and Alert status)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA(labelled("*"));
    const logs = captureLogs();
    expect(await post(fixtureEvent())).toEqual(ZERO);
    await expectSourceFetchFailed(logs);
    await notDelivered(p);
    await expectStatusSaysNeverMatches();
  });

  it("case 50: a concrete name is still enforced with matchLabels: source 'other' is not delivered (no lookup attempted)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA(labelled("other"));
    const logs = captureLogs();
    expect(await post(fixtureEvent())).toEqual(ZERO);
    expect(logs.filter((l) => l.reason === "SourceFetchFailed")).toEqual([]);
    await notDelivered(p);
  });
});

describe("commitStatusExpr and provider construction", () => {
  it("case 51: commitStatusExpr reading a missing metadata key: not delivered; NotificationDispatchFailed with the CEL error in the Alert's dispatchFailures (relay: queued, then dead-lettered)", async () => {
    const repo = gitHubRepo();
    await putP(repo, { ...GITHUB, commitStatusExpr: "event.involvedObject.kind + '/' + event.metadata.env" });
    await putA();
    expect(await post(withMetadata({ "event.toolkit.fluxcd.io/commit": SHA }))).toEqual(ONE);
    const failures = await waitFor(async () => {
      const found = (await alertStatus()).dispatchFailures;
      return found.length > 0 ? found : undefined;
    });
    expect(failures).toEqual([expect.objectContaining({ reason: "NotificationDispatchFailed", message: expect.stringMatching(/^failed to evaluate the spec\.commitStatusExpr CEL expression for the event: failed to evaluate .*env/) })]);
    expect((await providerStatus()).queueDepth).toBe(0);
    expect(await repo.requests()).toEqual([]);
  });

  it("case 52: generic Provider with no address and no Secret: not delivered; NotificationDispatchFailed in the Alert's dispatchFailures (relay: queued, then dead-lettered; Provider Ready=False InvalidURL)", async () => {
    await putP(null);
    await putA();
    expect(await post(fixtureEvent())).toEqual(ONE);
    const failures = await waitFor(async () => {
      const found = (await alertStatus()).dispatchFailures;
      return found.length > 0 ? found : undefined;
    });
    expect(failures).toEqual([expect.objectContaining({ reason: "NotificationDispatchFailed", message: expect.stringContaining("no address") })]);
    const status = await providerStatus();
    expect(status.queueDepth).toBe(0);
    expect(status.conditions.find((c: { type: string }) => c.type === "Ready")).toMatchObject({ status: "False", reason: "InvalidURL" });
  });

  it("case 53: generic-hmac with Secret token k: delivered with X-Signature sha256=<hmac(body, k)>", async () => {
    const p = boxTarget();
    await putP(p, { type: "generic-hmac", secretRef: { name: "routing-hmac" } });
    await putA();
    expect(await post(fixtureEvent())).toEqual(ONE);
    const all = await sentBeforeProbe(p);
    expect(all).toHaveLength(1);
    const [sent] = all;
    expect(sent.headers["x-signature"]).toBe(`sha256=${await hmacHex("SHA-256", "k", sent.body)}`);
    expect(JSON.parse(sent.body).metadata).toEqual({ cluster: "test", revision: REVISION });
  });
});
