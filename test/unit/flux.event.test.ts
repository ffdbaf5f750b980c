import { describe, expect, it } from "vitest";
import { encodeFluxEvent, objectGroup, parseFluxEvent } from "../../src/flux/event";
import { RelayError } from "../../src/lib/errors";

const base = { involvedObject: { kind: "Kustomization", namespace: "flux-system", name: "apps", apiVersion: "kustomize.toolkit.fluxcd.io/v1" } };

function problem(body: string): string {
  try {
    parseFluxEvent(body);
  } catch (err) {
    return (err as RelayError).message;
  }
  throw new Error("expected a 400");
}

describe("parseFluxEvent (Go encoding/json semantics)", () => {
  it("matches field names case-insensitively (case 57)", () => {
    expect(parseFluxEvent(JSON.stringify({ ...base, Message: "hello", SEVERITY: "error" }))).toMatchObject({ message: "hello", severity: "error" });
  });

  it("accepts null and {} as empty events", () => {
    expect(parseFluxEvent("null").message).toBe("");
    expect(parseFluxEvent("{}").metadata).toEqual({});
  });

  it("normalises timestamps to RFC 3339 seconds in UTC; null stays null", () => {
    expect(parseFluxEvent(JSON.stringify({ timestamp: "2026-01-15T12:20:30.123+02:00" })).timestamp).toBe("2026-01-15T10:20:30Z");
    expect(parseFluxEvent(JSON.stringify({ timestamp: null })).timestamp).toBeNull();
  });

  it("refuses what Go refuses, naming the field", () => {
    expect(problem(JSON.stringify({ timestamp: "" }))).toMatch(/timestamp/);
    expect(problem(JSON.stringify({ timestamp: 5 }))).toMatch(/timestamp/);
    expect(problem(JSON.stringify({ metadata: { a: 1 } }))).toMatch(/metadata\.a/);
    expect(problem(JSON.stringify({ message: 3 }))).toMatch(/message/);
    expect(problem("[1]")).toMatch(/JSON object/);
    expect(problem("{} trailing")).toMatch(/not valid JSON/);
  });

  it("keeps a __proto__ metadata key as an ordinary key", () => {
    const event = parseFluxEvent('{"metadata":{"__proto__":"x","a":"b"}}');
    expect(Object.keys(event.metadata)).toEqual(["__proto__", "a"]);
    expect(encodeFluxEvent(event)).toContain('"metadata":{"__proto__":"x","a":"b"}');
  });
});

describe("objectGroup", () => {
  it.each([
    ["kustomize.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io"],
    ["v1", ""],
    ["", ""],
    ["a/b/c", ""],
  ])("%s -> %s", (apiVersion, group) => {
    expect(objectGroup({ involvedObject: { ...base.involvedObject, uid: "", resourceVersion: "", fieldPath: "", apiVersion } })).toBe(group);
  });
});
