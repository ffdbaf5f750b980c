import { describe, expect, it } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import {
  cleanMetadata,
  combineMetadata,
  eventShape,
  METADATA_SOURCES as S,
  metadataValue,
  removeToken,
  type MetadataKey,
} from "../../src/flux/metadata";
import { alertA, eventE, forwardedE, KS_GROUP, REV } from "./flux.fixtures";

const EG = "event.toolkit.fluxcd.io";
const withMeta = (metadata: Record<string, string>, apiVersion = `${KS_GROUP}/v1`): FluxEvent => {
  const e = eventE({ involvedObject: { apiVersion } });
  return { ...e, metadata };
};

describe("eventShape", () => {
  it.each<[string, Record<string, string>, string, "controller" | "forwarded"]>([
    ["object-group key", { [`${KS_GROUP}/revision`]: REV }, `${KS_GROUP}/v1`, "controller"],
    ["event-group key only", { [`${EG}/commit`]: "x" }, `${KS_GROUP}/v1`, "controller"],
    ["event-group key with a core apiVersion", { [`${EG}/env`]: "prod" }, "v1", "controller"],
    ["one prefixed key among un-prefixed ones", { revision: REV, foo: "bar", [`${EG}/env`]: "prod" }, `${KS_GROUP}/v1`, "controller"],
    ["un-prefixed keys", { revision: REV, commit_status: "update", summary: "s" }, `${KS_GROUP}/v1`, "forwarded"],
    ["another group's keys", { "source.toolkit.fluxcd.io/revision": REV }, `${KS_GROUP}/v1`, "forwarded"],
    ["no metadata", {}, `${KS_GROUP}/v1`, "forwarded"],
    ["'/' key with an empty object group is no evidence", { "/revision": REV }, "v1", "forwarded"],
    ["prefix test is case-sensitive", { [`${KS_GROUP.toUpperCase()}/revision`]: REV }, `${KS_GROUP}/v1`, "forwarded"],
    ["group without the slash is not a prefix", { [`${KS_GROUP}revision`]: REV }, `${KS_GROUP}/v1`, "forwarded"],
  ])("%s", (_name, metadata, apiVersion, shape) => {
    expect(eventShape(withMeta(metadata, apiVersion))).toBe(shape);
  });
});

describe("cleanMetadata (spec 1.4)", () => {
  it.each<[string, Record<string, string>, Record<string, string>]>([
    ["case 36: un-prefixed and foreign-group keys are dropped", { [`${KS_GROUP}/revision`]: REV, foo: "bar", "source.toolkit.fluxcd.io/x": "y" }, { [`${KS_GROUP}/revision`]: REV }],
    ["case 37: object-group digest is dropped", { [`${KS_GROUP}/revision`]: REV, [`${KS_GROUP}/digest`]: "sha256:1" }, { [`${KS_GROUP}/revision`]: REV }],
    ["checksum is dropped too", { [`${KS_GROUP}/checksum`]: "c", [`${EG}/env`]: "prod" }, { [`${EG}/env`]: "prod" }],
    ["the exclusion compares case-insensitively", { [`${KS_GROUP}/Checksum`]: "c", [`${KS_GROUP}/DIGEST`]: "d", [`${EG}/env`]: "prod" }, { [`${EG}/env`]: "prod" }],
    ["event-group checksum/digest are kept", { [`${EG}/checksum`]: "c", [`${EG}/digest`]: "d" }, { [`${EG}/checksum`]: "c", [`${EG}/digest`]: "d" }],
    ["token is kept (it is removed after dedup)", { [`${KS_GROUP}/token`]: "t1", [`${EG}/env`]: "x" }, { [`${KS_GROUP}/token`]: "t1", [`${EG}/env`]: "x" }],
    ["empty values are kept", { [`${KS_GROUP}/revision`]: "" }, { [`${KS_GROUP}/revision`]: "" }],
    ["a digest-only event ends with no metadata", { [`${KS_GROUP}/digest`]: "d", revision: "r" }, {}],
  ])("%s", (_name, metadata, expected) => {
    expect(cleanMetadata(withMeta(metadata)).metadata).toEqual(expected);
  });

  it("keeps '/'-prefixed keys of a core-group event that is controller-shaped, as Go's degenerate prefix does", () => {
    const e = withMeta({ [`${EG}/env`]: "prod", "/revision": "r", revision: "x" }, "v1");
    expect(cleanMetadata(e).metadata).toEqual({ [`${EG}/env`]: "prod", "/revision": "r" });
  });

  it("returns forwarded events unchanged", () => {
    const e = forwardedE({ revision: REV, summary: "s", checksum: "kept", foo: "bar" });
    expect(cleanMetadata(e)).toEqual(e);
  });

  it("returns a new event and leaves the input alone", () => {
    const e = withMeta({ [`${KS_GROUP}/revision`]: REV, foo: "bar" });
    const snapshot = structuredClone(e);
    const out = cleanMetadata(e);
    expect(e).toEqual(snapshot);
    expect(out).not.toBe(e);
    expect(out.metadata).not.toBe(e.metadata);
    expect(out.involvedObject).not.toBe(e.involvedObject);
    expect({ ...out, metadata: e.metadata }).toEqual(e);
  });
});

describe("removeToken", () => {
  it("case 32: deletes the object-group token of a controller-shaped event", () => {
    const e = withMeta({ [`${KS_GROUP}/revision`]: REV, [`${KS_GROUP}/token`]: "t1", [`${EG}/token`]: "annotation" });
    expect(removeToken(e).metadata).toEqual({ [`${KS_GROUP}/revision`]: REV, [`${EG}/token`]: "annotation" });
    expect(e.metadata[`${KS_GROUP}/token`]).toBe("t1");
  });

  it("keeps a forwarded event's un-prefixed token (upstream already removed the internal one)", () => {
    const e = forwardedE({ revision: REV, token: "from-annotation" });
    expect(removeToken(e).metadata).toEqual({ revision: REV, token: "from-annotation" });
  });

  it("is a no-op without a token", () => {
    expect(removeToken(eventE()).metadata).toEqual({ [`${KS_GROUP}/revision`]: REV });
  });
});

describe("metadataValue", () => {
  const controller = withMeta({
    [`${EG}/commit`]: "c-eg",
    [`${KS_GROUP}/commit`]: "c-og",
    [`${EG}/change_request`]: "42",
    [`${KS_GROUP}/revision`]: "r-og",
    [`${EG}/revision`]: "r-eg",
    [`${KS_GROUP}/originRevision`]: "o",
    [`${KS_GROUP}/token`]: "",
    [`${KS_GROUP}/commit_status`]: "update",
  });
  const forwarded = forwardedE({ commit: "c", change_request: "42", revision: "r", originRevision: "o", token: "", commit_status: "update" });

  it.each<[MetadataKey, string | undefined, string | undefined]>([
    ["commit", "c-eg", "c"],
    ["change_request", "42", "42"],
    ["revision", "r-og", "r"],
    ["originRevision", "o", "o"],
    ["token", "", ""],
    ["commit_status", "update", "update"],
  ])("%s reads the prefix Flux reads (controller) or the bare key (forwarded)", (key, fromController, fromForwarded) => {
    expect(metadataValue(controller, key)).toBe(fromController);
    expect(metadataValue(forwarded, key)).toBe(fromForwarded);
  });

  it("distinguishes absent from empty", () => {
    const e = withMeta({ [`${EG}/env`]: "x", [`${KS_GROUP}/token`]: "" });
    expect(metadataValue(e, "token")).toBe("");
    expect(metadataValue(e, "revision")).toBeUndefined();
    expect(metadataValue(e, "commit")).toBeUndefined();
  });

  it("ignores un-prefixed keys of a controller-shaped event and prefixed keys of another group", () => {
    const e = withMeta({ [`${EG}/env`]: "x", commit: "bare", "source.toolkit.fluxcd.io/revision": "foreign" });
    expect(metadataValue(e, "commit")).toBeUndefined();
    expect(metadataValue(e, "revision")).toBeUndefined();
  });
});

describe("ingestion to delivery (clean, remove token, combine): delivered metadata of spec section 10", () => {
  const delivered = (metadata: Record<string, string>, spec: Record<string, unknown> = {}) =>
    combineMetadata(removeToken(cleanMetadata(eventE({ metadata }))), alertA(spec)).event.metadata;

  it.each<[string, Record<string, string>, Record<string, unknown>, Record<string, string>]>([
    ["1", {}, {}, { revision: REV }],
    ["32", { [`${KS_GROUP}/token`]: "t1" }, {}, { revision: REV }],
    ["36", { foo: "bar", "source.toolkit.fluxcd.io/x": "y" }, {}, { revision: REV }],
    ["37", { [`${KS_GROUP}/digest`]: "sha256:1" }, {}, { revision: REV }],
    ["38", { [`${EG}/env`]: "dev" }, { eventMetadata: { env: "prod", revision: "x" } }, { env: "prod", revision: REV }],
    ["39", { [`${EG}/summary`]: "O" }, { summary: "S", eventMetadata: { summary: "M" } }, { summary: "S", revision: REV }],
    ["40", { [`${KS_GROUP}/summary`]: "C" }, { summary: "S" }, { summary: "C", revision: REV }],
    ["42", { [`${KS_GROUP}/commit_status`]: "update" }, {}, { revision: REV, commit_status: "update" }],
  ])("case %s", (_case, metadata, spec, expected) => {
    expect(delivered(metadata, spec)).toEqual(expected);
  });
});

describe("combineMetadata (spec 2.8)", () => {
  const combine = (event: FluxEvent, spec: Record<string, unknown> = {}, cluster?: string) => combineMetadata(event, alertA(spec), cluster);

  it("case 1: prefix stripped", () => {
    expect(combine(eventE())).toEqual({ event: { ...eventE(), metadata: { revision: REV } }, conflicts: {} });
  });

  it("case 38: eventMetadata beats annotations, controller beats eventMetadata; conflicts for env and revision", () => {
    const r = combine(eventE({ metadata: { [`${EG}/env`]: "dev" } }), { eventMetadata: { env: "prod", revision: "x" } });
    expect(r.event.metadata).toEqual({ env: "prod", revision: REV });
    expect(r.conflicts).toEqual({
      env: [S.annotations, S.eventMetadata],
      revision: [S.eventMetadata, S.controller],
    });
  });

  it("case 39: summary beats eventMetadata and annotations; the conflict lists all three sources", () => {
    const r = combine(eventE({ metadata: { [`${EG}/summary`]: "O" } }), { summary: "S", eventMetadata: { summary: "M" } });
    expect(r.event.metadata).toEqual({ summary: "S", revision: REV });
    expect(r.conflicts).toEqual({ summary: [S.annotations, S.eventMetadata, S.summary] });
  });

  it("case 40: controller metadata beats summary", () => {
    const r = combine(eventE({ metadata: { [`${KS_GROUP}/summary`]: "C" } }), { summary: "S" });
    expect(r.event.metadata).toEqual({ summary: "C", revision: REV });
    expect(r.conflicts).toEqual({ summary: [S.summary, S.controller] });
  });

  it("case 42: commit_status is delivered un-prefixed", () => {
    const r = combine(eventE({ metadata: { [`${KS_GROUP}/commit_status`]: "update" } }));
    expect(r.event.metadata).toEqual({ revision: REV, commit_status: "update" });
  });

  it("names the sources exactly as Flux does", () => {
    expect(S).toMatchObject({
      annotations: "involved object annotations",
      eventMetadata: "Alert object .spec.eventMetadata",
      summary: "Alert object .spec.summary",
      controller: "involved object controller metadata",
    });
  });

  it("reports a conflict even when the values agree (Flux counts sources, not values)", () => {
    const r = combine(eventE(), { eventMetadata: { revision: REV } });
    expect(r.conflicts).toEqual({ revision: [S.eventMetadata, S.controller] });
  });

  it("ignores an empty summary", () => {
    const r = combine(eventE({ metadata: { [`${EG}/summary`]: "O" } }), { summary: "" });
    expect(r.event.metadata.summary).toBe("O");
    expect(r.conflicts).toEqual({});
  });

  it("lists conflicting keys sorted", () => {
    const r = combine(eventE({ metadata: { [`${EG}/zeta`]: "1", [`${EG}/alpha`]: "1" } }), { eventMetadata: { zeta: "2", alpha: "2" } });
    expect(Object.keys(r.conflicts)).toEqual(["alpha", "zeta"]);
  });

  it("yields {} when no source contributes", () => {
    expect(combine(withMeta({})).event.metadata).toEqual({});
    expect(combine(forwardedE({})).event.metadata).toEqual({});
  });

  it("never reads un-prefixed keys of a controller-shaped event", () => {
    expect(combine(withMeta({ [`${EG}/env`]: "x", stray: "y" })).event.metadata).toEqual({ env: "x" });
  });

  it("keeps a key named __proto__ as an ordinary key, as Go does", () => {
    const r = combine(withMeta({ [`${EG}/__proto__`]: "x" }));
    expect(Object.keys(r.event.metadata)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(r.event.metadata)).toBe(Object.prototype);
  });

  it("does not mutate the event or the alert, and changes nothing but metadata", () => {
    const e = eventE({ metadata: { [`${EG}/env`]: "dev" } });
    const a = alertA({ eventMetadata: { env: "prod" }, summary: "S" });
    const [eSnap, aSnap] = [structuredClone(e), structuredClone(a)];
    const r = combineMetadata(e, a, "prod-eu");
    expect(e).toEqual(eSnap);
    expect(a).toEqual(aSnap);
    expect({ ...r.event, metadata: e.metadata }).toEqual(e);
    expect(r.event.involvedObject).not.toBe(e.involvedObject);
  });

  describe("cluster from the hook path (authoritative over the sender, only the Alert's eventMetadata wins, never a conflict)", () => {
    it.each<[string, FluxEvent, Record<string, unknown>, string, Record<string, string[]>]>([
      ["added when nothing else sets it", eventE(), {}, "c1", {}],
      ["a sender's annotation cannot replace it", eventE({ metadata: { [`${EG}/cluster`]: "ann" } }), {}, "c1", {}],
      ["eventMetadata wins", eventE(), { eventMetadata: { cluster: "em" } }, "em", {}],
      ["a sender's controller metadata cannot replace it", eventE({ metadata: { [`${KS_GROUP}/cluster`]: "ctl" } }), {}, "c1", {}],
      ["a forwarded key cannot replace it", forwardedE({ cluster: "fwd" }), {}, "c1", {}],
      ["eventMetadata still wins over a sender's annotation, and that is no conflict: the annotation is dropped", eventE({ metadata: { [`${EG}/cluster`]: "ann" } }), { eventMetadata: { cluster: "em" } }, "em", {}],
    ])("%s", (_name, event, spec, expected, conflicts) => {
      const r = combine(event, spec, "c1");
      expect(r.event.metadata.cluster).toBe(expected);
      expect(r.conflicts).toEqual(conflicts);
    });

    it("without a path cluster the sender's cluster keys combine as in Flux (annotation vs eventMetadata is a conflict)", () => {
      const r = combine(eventE({ metadata: { [`${EG}/cluster`]: "ann" } }), { eventMetadata: { cluster: "em" } });
      expect(r.event.metadata.cluster).toBe("em");
      expect(r.conflicts).toEqual({ cluster: [S.annotations, S.eventMetadata] });
      expect(combine(forwardedE({ cluster: "fwd" })).event.metadata.cluster).toBe("fwd");
    });

    it("is omitted when no cluster is given", () => {
      expect(combine(eventE()).event.metadata).not.toHaveProperty("cluster");
      expect(combine(eventE(), {}, "").event.metadata).not.toHaveProperty("cluster");
    });
  });

  describe("forwarded events (keys already combined upstream take the controller slot)", () => {
    it("passes keys through as they are", () => {
      const e = forwardedE({ revision: REV, commit_status: "update", "odd/key": "v" });
      expect(combine(e).event.metadata).toEqual({ revision: REV, commit_status: "update", "odd/key": "v" });
    });

    it("eventMetadata and summary fill gaps but never override forwarded keys", () => {
      const e = forwardedE({ revision: REV, summary: "upstream" });
      const r = combine(e, { eventMetadata: { env: "prod", revision: "x" }, summary: "S" });
      expect(r.event.metadata).toEqual({ revision: REV, summary: "upstream", env: "prod" });
      expect(r.conflicts).toEqual({
        revision: [S.eventMetadata, S.forwarded],
        summary: [S.summary, S.forwarded],
      });
    });

    it("summary still beats eventMetadata", () => {
      const r = combine(forwardedE({ revision: REV }), { eventMetadata: { summary: "M" }, summary: "S" });
      expect(r.event.metadata.summary).toBe("S");
      expect(r.conflicts).toEqual({ summary: [S.eventMetadata, S.summary] });
    });
  });
});
