import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  dedupKey,
  dedupKeyString,
  effectiveWindowMs,
  expiresAtMs,
  FixedWindow,
  fixedWindowDecision,
  isExpired,
  windowStartMs,
} from "../../src/flux/dedup";
import type { FluxEvent } from "../../src/flux/event";
import { cleanMetadata, removeToken } from "../../src/flux/metadata";
import { eventE, forwardedE, KS_GROUP, REV } from "./flux.fixtures";

const EG = "event.toolkit.fluxcd.io";
const S = 1000;
const M = 60 * S;
const WINDOW = 5 * M;
const BASE = `event/name=apps/namespace=flux-system/kind=Kustomization/message=Applied revision: ${REV}`;

/** What the ingress does before matching: clean, then key (token still present). */
const keyOf = (e: FluxEvent) => dedupKey(cleanMetadata(e));

describe("dedupKeyString (spec 3)", () => {
  it.each<[string, FluxEvent, string]>([
    ["revision only", eventE(), `${BASE}/revision=${REV}`],
    [
      "originRevision, revision, token in that order regardless of map order",
      eventE({ metadata: { [`${KS_GROUP}/token`]: "t", [`${KS_GROUP}/originRevision`]: "o", [`${KS_GROUP}/revision`]: "r" } }),
      `${BASE}/originRevision=o/revision=r/token=t`,
    ],
    ["an empty value still counts", eventE({ metadata: { [`${KS_GROUP}/revision`]: "", [`${KS_GROUP}/token`]: "" } }), `${BASE}/revision=/token=`],
    ["no metadata", { ...eventE(), metadata: {} }, BASE],
    [
      "event-group, commit and commit_status keys are not in the key",
      eventE({ metadata: { [`${EG}/revision`]: "x", [`${EG}/commit`]: "c", [`${KS_GROUP}/commit_status`]: "update", [`${EG}/token`]: "t" } }),
      `${BASE}/revision=${REV}`,
    ],
    ["forwarded: un-prefixed keys", forwardedE({ revision: REV, token: "t", summary: "s" }), `${BASE}/revision=${REV}/token=t`],
    ["forwarded: commit is not in the key", forwardedE({ commit: "c" }), BASE],
  ])("%s", (_name, event, expected) => {
    expect(dedupKeyString(cleanMetadata(event))).toBe(expected);
  });

  it("ignores severity, reason, timestamp, apiVersion, uid and reportingController", () => {
    const other = eventE({
      severity: "error",
      reason: "HealthCheckFailed",
      timestamp: "2030-01-01T00:00:00Z",
      reportingController: "x",
      reportingInstance: "y",
      involvedObject: { uid: "u", apiVersion: `${KS_GROUP}/v1beta2` },
    });
    expect(dedupKeyString(other)).toBe(dedupKeyString(eventE()));
  });

  it("reads the object group from apiVersion", () => {
    const helm = eventE({ involvedObject: { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease" }, metadata: { "helm.toolkit.fluxcd.io/revision": "1.2.3" } });
    expect(dedupKeyString(cleanMetadata(helm))).toBe(`event/name=apps/namespace=flux-system/kind=HelmRelease/message=Applied revision: ${REV}/revision=1.2.3`);
  });
});

describe("dedupKey", () => {
  it("is the lower-case hex SHA-256 of the key string (UTF-8)", async () => {
    for (const e of [eventE(), eventE({ message: "Ünïcødé ✓ 😀" })]) {
      expect(await dedupKey(e)).toBe(createHash("sha256").update(dedupKeyString(e), "utf8").digest("hex"));
    }
  });

  it("matches the digest of a hand-built key string", async () => {
    expect(await dedupKey(eventE())).toBe(createHash("sha256").update(`${BASE}/revision=${REV}`).digest("hex"));
  });
});

describe("FixedWindow", () => {
  it("case 34: admitted at 0, 5m01s, 10m30s; rejected at 4m59s and 9m", () => {
    const w = new FixedWindow(WINDOW);
    const seen = [0, 4 * M + 59 * S, 5 * M + 1 * S, 9 * M, 10 * M + 30 * S].map((t) => [t, w.admit("k", t).admitted]);
    expect(seen).toEqual([
      [0, true],
      [4 * M + 59 * S, false],
      [5 * M + 1 * S, true],
      [9 * M, false],
      [10 * M + 30 * S, true],
    ]);
  });

  it("the grid stays anchored at the first sighting, unlike a window measured from the last admission", () => {
    const w = new FixedWindow(WINDOW);
    // 10m00s is only 4m59s after the admission at 5m01s, yet it opens window 2.
    expect([0, 5 * M + 1 * S, 10 * M, 14 * M + 59 * S].map((t) => w.admit("k", t).admitted)).toEqual([true, true, true, false]);
  });

  it("rejected requests do not extend the window", () => {
    const w = new FixedWindow(WINDOW);
    expect([0, M, 2 * M, 3 * M, 4 * M, WINDOW].map((t) => w.admit("k", t).admitted)).toEqual([true, false, false, false, false, true]);
  });

  it("case 34 does not depend on the absolute clock", () => {
    const w = new FixedWindow(WINDOW);
    const t0 = Date.parse("2026-01-15T10:20:30.123Z");
    expect([0, 299_000, 301_000, 540_000, 630_000].map((d) => w.admit("k", t0 + d).admitted)).toEqual([true, false, true, false, true]);
  });

  it("reports the end of the current window, for rejections too", () => {
    const w = new FixedWindow(WINDOW);
    expect(w.admit("k", 1000)).toEqual({ admitted: true, windowEndMs: 1000 + WINDOW });
    expect(w.admit("k", 1000 + WINDOW - 1)).toEqual({ admitted: false, windowEndMs: 1000 + WINDOW });
    expect(w.admit("k", 1000 + WINDOW)).toEqual({ admitted: true, windowEndMs: 1000 + 2 * WINDOW });
  });

  it("keys are independent", () => {
    const w = new FixedWindow(WINDOW);
    expect(w.admit("a", 0).admitted).toBe(true);
    expect(w.admit("b", 1).admitted).toBe(true);
    expect(w.admit("a", 2).admitted).toBe(false);
  });

  it("window 0 falls back to one second (go-limiter)", () => {
    const w = new FixedWindow(0);
    expect([0, 999, 1000, 1500, 2000].map((t) => w.admit("k", t).admitted)).toEqual([true, false, true, false, true]);
    expect(effectiveWindowMs(-5)).toBe(1000);
  });

  it("sweep forgets keys idle for more than two windows since their last admitted window", () => {
    const w = new FixedWindow(WINDOW);
    w.admit("old", 0);
    w.admit("old", WINDOW - 1); // rejected: does not refresh the key
    w.admit("fresh", WINDOW);
    expect(w.sweep(2 * WINDOW)).toBe(0);
    expect(w.sweep(2 * WINDOW + 1)).toBe(1);
    expect(w.size).toBe(1);
    expect(w.sweep(3 * WINDOW + 1)).toBe(1);
    expect(w.size).toBe(0);
  });

  describe("spec section 10, dedup cases, through clean -> key -> window", () => {
    const run = async (events: [number, FluxEvent][]) => {
      const w = new FixedWindow(WINDOW);
      const out: boolean[] = [];
      for (const [t, e] of events) out.push(w.admit(await keyOf(e), t).admitted);
      return out;
    };

    it("case 29: E twice within a minute -> second rejected", async () => {
      expect(await run([[0, eventE()], [30 * S, eventE()]])).toEqual([true, false]);
    });

    it("case 30: severity and reason are not in the key", async () => {
      expect(await run([[0, eventE()], [M, eventE({ severity: "error", reason: "HealthCheckFailed" })]])).toEqual([true, false]);
    });

    it("case 31: a different revision is a different key", async () => {
      const other = eventE({ metadata: { [`${KS_GROUP}/revision`]: "main@sha1:ffffffffffffffffffffffffffffffffffffffff" } });
      expect(await run([[0, eventE()], [M, other]])).toEqual([true, true]);
    });

    it("case 32: token is in the key, and gone after removeToken", async () => {
      const t1 = eventE({ metadata: { [`${KS_GROUP}/token`]: "t1" } });
      const t2 = eventE({ metadata: { [`${KS_GROUP}/token`]: "t2" } });
      expect(await run([[0, t1], [M, t2]])).toEqual([true, true]);
      expect(removeToken(cleanMetadata(t2)).metadata).toEqual({ [`${KS_GROUP}/revision`]: REV });
    });

    it("case 33: event-group metadata is not in the key", async () => {
      expect(await run([[0, eventE()], [M, eventE({ metadata: { [`${EG}/env`]: "prod" } })]])).toEqual([true, false]);
    });

    it("case 35: the window is consumed whether or not anything matched (the key never looks at alerts)", async () => {
      expect(await run([[0, eventE()], [4 * M, eventE()]])).toEqual([true, false]);
    });

    it("case 37: digest is removed before keying, so it cannot split the key", async () => {
      expect(await run([[0, eventE()], [M, eventE({ metadata: { [`${KS_GROUP}/digest`]: "sha256:1" } })]])).toEqual([true, false]);
    });

    it("a forwarded copy of E has the same key as E itself", async () => {
      expect(await keyOf(forwardedE())).toBe(await keyOf(eventE()));
    });
  });
});

describe("fixedWindowDecision (state from storage)", () => {
  it.each<[string, number | undefined, number | undefined, number, object]>([
    ["first sighting anchors the grid", undefined, undefined, 7000, { admitted: true, firstSeenMs: 7000, window: 0, lastAdmittedWindow: 0, windowEndMs: 7000 + WINDOW }],
    ["same window", 0, 0, WINDOW - 1, { admitted: false, firstSeenMs: 0, window: 0, lastAdmittedWindow: 0, windowEndMs: WINDOW }],
    ["next window, exactly at its start", 0, 0, WINDOW, { admitted: true, firstSeenMs: 0, window: 1, lastAdmittedWindow: 1, windowEndMs: 2 * WINDOW }],
    ["second request in window 1", 0, 1, WINDOW + 1, { admitted: false, firstSeenMs: 0, window: 1, lastAdmittedWindow: 1, windowEndMs: 2 * WINDOW }],
    ["skipped windows, still within the TTL", 0, 0, 2 * WINDOW, { admitted: true, firstSeenMs: 0, window: 2, lastAdmittedWindow: 2, windowEndMs: 3 * WINDOW }],
    ["expired state counts as a first sighting", 0, 0, 2 * WINDOW + 1, { admitted: true, firstSeenMs: 2 * WINDOW + 1, window: 0, lastAdmittedWindow: 0 }],
    ["a clock that went backwards re-anchors without refilling", 10 * S, 0, 5 * S, { admitted: false, firstSeenMs: 5 * S, window: 0, lastAdmittedWindow: 0, windowEndMs: 5 * S + WINDOW }],
    ["only one of the two state values is a first sighting", 0, undefined, 3, { admitted: true, firstSeenMs: 3 }],
  ])("%s", (_name, firstSeen, lastWindow, now, expected) => {
    expect(fixedWindowDecision(firstSeen, lastWindow, now, WINDOW)).toMatchObject(expected);
  });

  it("expiresAtMs is the last instant the state is remembered", () => {
    const d = fixedWindowDecision(0, 0, 2 * WINDOW, WINDOW);
    expect(d.expiresAtMs).toBe(4 * WINDOW);
    expect(isExpired(windowStartMs(0, 2, WINDOW), d.expiresAtMs, WINDOW)).toBe(false);
    expect(isExpired(windowStartMs(0, 2, WINDOW), d.expiresAtMs + 1, WINDOW)).toBe(true);
    expect(expiresAtMs(100, 3, 0)).toBe(100 + 3 * 1000 + 2000);
  });

  it("round-trips through storage like FixedWindow", () => {
    let state: { firstSeenMs?: number; lastAdmittedWindow?: number } = {};
    const admitted = [0, 299_000, 301_000, 540_000, 630_000].map((t) => {
      const d = fixedWindowDecision(state.firstSeenMs, state.lastAdmittedWindow, t, WINDOW);
      state = { firstSeenMs: d.firstSeenMs, lastAdmittedWindow: d.lastAdmittedWindow };
      return d.admitted;
    });
    expect(admitted).toEqual([true, false, true, false, true]);
  });
});
