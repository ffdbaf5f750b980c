import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ingest } from "../../src/ingress/ingest";
import { parseFluxEvent } from "../../src/flux/event";
import { fixtureEvent, SHA } from "../support/workers";
import { boxTarget, DUPLICATE, freshRelay, NONE, post, putA, putP, REVISION, sentBeforeProbe } from "../support/routing-cases";

// event-routing-spec section 10, cases 29-35: the dedup key and its fixed 5-minute window. Where
// Flux answers 429 the relay answers `202 {"accepted":0,"duplicate":true}` (design section 2,
// README "Differences from notification-controller").

const ONE = { status: 202, body: { accepted: 1, duplicate: false } };
const RELAY_429 = { status: 202, body: DUPLICATE };
const withMetadata = (extra: Record<string, string>) => fixtureEvent({ metadata: { "kustomize.toolkit.fluxcd.io/revision": REVISION, ...extra } });
const metadataOf = (sent: { body: string }[]) => sent.map((r) => JSON.parse(r.body).metadata);

beforeEach(freshRelay);
afterEach(() => vi.restoreAllMocks());

describe("dedup", () => {
  it("case 29: E twice within a minute: first 202 and delivered, second duplicate (relay: 202 duplicate:true instead of 429), delivered once", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    expect(await post(fixtureEvent())).toEqual(ONE);
    expect(await post(fixtureEvent())).toEqual(RELAY_429);
    expect(await sentBeforeProbe(p)).toHaveLength(1);
  });

  it("case 30: severity error and reason HealthCheckFailed are not in the key: second is a duplicate (relay: 202 duplicate:true instead of 429)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    expect(await post(fixtureEvent())).toEqual(ONE);
    expect(await post(fixtureEvent({ severity: "error", reason: "HealthCheckFailed" }))).toEqual(RELAY_429);
    const sent = await sentBeforeProbe(p);
    expect(sent.map((r) => JSON.parse(r.body).severity)).toEqual(["info"]);
  });

  it("case 31: a different revision value is a different key: both delivered (202, 202)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    const other = `main@sha1:${"f".repeat(40)}`;
    expect(await post(fixtureEvent())).toEqual(ONE);
    expect(await post(withMetadata({ "kustomize.toolkit.fluxcd.io/revision": other }))).toEqual(ONE);
    expect(metadataOf(await sentBeforeProbe(p))).toEqual([{ cluster: "test", revision: REVISION }, { cluster: "test", revision: other }]);
  });

  it("case 32: token t1 then t2: both delivered, and neither delivery carries token", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    expect(await post(withMetadata({ "kustomize.toolkit.fluxcd.io/token": "t1" }))).toEqual(ONE);
    expect(await post(withMetadata({ "kustomize.toolkit.fluxcd.io/token": "t2" }))).toEqual(ONE);
    expect(metadataOf(await sentBeforeProbe(p))).toEqual([{ cluster: "test", revision: REVISION }, { cluster: "test", revision: REVISION }]);
  });

  it("case 33: event-group metadata is not in the key: E plus event.toolkit.fluxcd.io/env is a duplicate (relay: 202 duplicate:true instead of 429)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    expect(await post(fixtureEvent())).toEqual(ONE);
    expect(await post(withMetadata({ "event.toolkit.fluxcd.io/env": "prod" }))).toEqual(RELAY_429);
    expect(metadataOf(await sentBeforeProbe(p))).toEqual([{ cluster: "test", revision: REVISION }]);
  });

  it("case 34: fixed window anchored at first sighting (injected clock): admitted at 0, 5m01s, 10m30s; duplicate at 4m59s and 9m (relay: duplicate:true instead of 429)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    const event = parseFluxEvent(JSON.stringify(fixtureEvent()));
    // Anchored in the past so every admitted event is due at once in the outbox.
    const t0 = Date.now() - 11 * 60_000;
    const at = (m: number, s = 0) => t0 + m * 60_000 + s * 1000;
    const outcomes = [];
    for (const now of [at(0), at(4, 59), at(5, 1), at(9), at(10, 30)]) {
      const { result } = await ingest(env, "test", event, now);
      outcomes.push({ duplicate: result.duplicate, accepted: result.accepted });
    }
    expect(outcomes).toEqual([
      { duplicate: false, accepted: 1 },
      { duplicate: true, accepted: 0 },
      { duplicate: false, accepted: 1 },
      { duplicate: true, accepted: 0 },
      { duplicate: false, accepted: 1 },
    ]);
    const sent = await sentBeforeProbe(p);
    expect(sent).toHaveLength(3);
    expect(sent.map((r) => JSON.parse(r.body).message)).toEqual(Array(3).fill(`Applied revision: main@sha1:${SHA}`));
  });

  it("case 35: dedup runs before matching: E with no Alerts (202, nothing delivered), create A, E again is a duplicate (relay: 202 duplicate:true instead of 429)", async () => {
    const p = boxTarget();
    await putP(p);
    expect(await post(fixtureEvent())).toEqual({ status: 202, body: NONE });
    await putA();
    expect(await post(fixtureEvent())).toEqual(RELAY_429);
    expect(await sentBeforeProbe(p)).toEqual([]);
  });
});
