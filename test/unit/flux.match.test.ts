import { describe, expect, it } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import type { AlertManifest } from "../../src/flux/manifests";
import { alertConfigProblems, matchAlert, type AlertProblem } from "../../src/flux/match";
import { alertA, eventE } from "./flux.fixtures";

const KS = { kind: "Kustomization" };

describe("matchAlert: spec section 10 routing cases", () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, boolean]>([
    ["1 baseline", {}, {}, true],
    ["2 kind mismatch", {}, { involvedObject: { kind: "GitRepository", apiVersion: "source.toolkit.fluxcd.io/v1" } }, false],
    ["3 exact name", { eventSources: [{ ...KS, name: "apps" }] }, {}, true],
    ["4 names are exact, no prefix match", { eventSources: [{ ...KS, name: "app" }] }, {}, false],
    ["5 only the literal * is a wildcard", { eventSources: [{ ...KS, name: "ap*" }] }, {}, false],
    ["7 omitted source namespace defaults to the Alert's", {}, { involvedObject: { namespace: "apps" } }, false],
    ["8 explicit cross-namespace source", { eventSources: [{ ...KS, name: "*", namespace: "apps" }] }, { involvedObject: { namespace: "apps" } }, true],
    ["10 (relay extension) namespace '*' matches every namespace", { eventSources: [{ ...KS, name: "*", namespace: "*" }] }, { involvedObject: { namespace: "apps" } }, true],
    ["11 source apiVersion ignored", { eventSources: [{ ...KS, name: "*", apiVersion: "kustomize.toolkit.fluxcd.io/v1beta2" }] }, {}, true],
    ["12 error alert, info event", { eventSeverity: "error" }, {}, false],
    ["13 error alert, error event", { eventSeverity: "error" }, { severity: "error" }, true],
    ["14 info alert, error event", { eventSeverity: "info" }, { severity: "error" }, true],
    ["15 eventSeverity absent, default info applied on load", {}, { severity: "error" }, true],
    ["16 info passes an unknown severity", { eventSeverity: "info" }, { severity: "warning" }, true],
    ["16b info passes an empty severity", {}, { severity: "" }, true],
    ["17 suspended alert", { suspend: true }, {}, false],
    ["20 unanchored substring match on message", { inclusionList: ["revision"] }, {}, true],
    ["21 anchored regex", { inclusionList: ["^revision"] }, {}, false],
    ["22 lists match the message, not the reason", { inclusionList: ["ReconciliationSucceeded"] }, {}, false],
    ["25 exclusion beats inclusion", { inclusionList: ["Applied"], exclusionList: ["main@"] }, {}, false],
    ["26 RE2 inline flag", { exclusionList: ["(?i)APPLIED"] }, {}, false],
    ["27 several matching sources", { eventSources: [{ ...KS, name: "*" }, { ...KS, name: "apps" }] }, {}, true],
    ["48/49/50 matchLabels never matches on the relay", { eventSources: [{ ...KS, name: "*", matchLabels: { team: "a" } }] }, {}, false],
  ])("case %s", (_name, spec, change, matched) => {
    const r = matchAlert(eventE(change), alertA(spec));
    expect(r.matched).toBe(matched);
  });

  it("case 6: kind comparison is case-sensitive (an Alert that bypassed the CRD enum)", () => {
    const alert = alertA();
    const lower = { ...alert, spec: { ...alert.spec, eventSources: [{ kind: "kustomization", name: "*" }] } } as unknown as AlertManifest;
    expect(matchAlert(eventE(), lower)).toEqual({ matched: false, problems: [] });
  });

  it("case 17: a suspended alert reports nothing, even with invalid regexes and matchLabels", () => {
    const r = matchAlert(eventE(), alertA({ suspend: true, inclusionList: ["["], eventSources: [{ ...KS, name: "*", matchLabels: {} }] }));
    expect(r).toEqual({ matched: false, problems: [] });
  });

  it("case 23: invalid inclusion entries never match; InvalidConfig with Flux's message", () => {
    expect(matchAlert(eventE(), alertA({ inclusionList: ["["] }))).toEqual({
      matched: false,
      problems: [{ reason: "InvalidConfig", message: "failed to compile inclusion regex: [", field: "spec.inclusionList[0]" }],
    });
  });

  it("case 24: invalid exclusion entries exclude nothing; InvalidConfig", () => {
    expect(matchAlert(eventE(), alertA({ exclusionList: ["["] }))).toEqual({
      matched: true,
      problems: [{ reason: "InvalidConfig", message: "failed to compile exclusion regex: [", field: "spec.exclusionList[0]" }],
    });
  });

  it("case 28: alerts are evaluated independently (fan-out is per alert)", () => {
    const e = eventE();
    expect([alertA({}, "A"), alertA({}, "B")].filter((a) => matchAlert(e, a).matched)).toHaveLength(2);
  });

  it("case 47: a matchLabels entry reports SourceFetchFailed saying why", () => {
    const r = matchAlert(eventE(), alertA({ eventSources: [{ ...KS, name: "*", matchLabels: { team: "a" } }] }));
    expect(r.problems).toEqual([
      {
        reason: "SourceFetchFailed",
        message: "error getting source object Kustomization/flux-system/apps: matchLabels needs the live object's labels, which the relay cannot read",
        field: "spec.eventSources[0].matchLabels",
      },
    ]);
  });
});

describe("matchAlert: source entries (spec 2.2, 2.3)", () => {
  const run = (sources: unknown[], change: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) =>
    matchAlert(eventE(change), alertA({ eventSources: sources, ...spec }));

  it("an empty matchLabels map still needs the live object", () => {
    const r = run([{ ...KS, name: "*", matchLabels: {} }]);
    expect(r.matched).toBe(false);
    expect(r.problems.map((p) => p.reason)).toEqual(["SourceFetchFailed"]);
  });

  it("matchLabels: null is the same as absent", () => {
    expect(run([{ ...KS, name: "*", matchLabels: null }])).toEqual({ matched: true, problems: [] });
  });

  it("a later plain entry still matches after a matchLabels entry failed, and the failure is reported", () => {
    const r = run([{ ...KS, name: "*", matchLabels: { team: "a" } }, { ...KS, name: "apps" }]);
    expect(r.matched).toBe(true);
    expect(r.problems).toHaveLength(1);
  });

  it("evaluation stops at the first matching entry (a later matchLabels entry is never fetched)", () => {
    expect(run([{ ...KS, name: "apps" }, { ...KS, name: "*", matchLabels: { team: "a" } }])).toEqual({ matched: true, problems: [] });
  });

  it.each<[string, unknown[], Record<string, unknown>, Record<string, unknown>]>([
    ["kind mismatch", [{ kind: "HelmRelease", name: "*", matchLabels: {} }], {}, {}],
    ["namespace mismatch", [{ ...KS, name: "*", namespace: "other", matchLabels: {} }], {}, {}],
    ["severity gate", [{ ...KS, name: "*", matchLabels: {} }], {}, { eventSeverity: "error" }],
    ["name mismatch (case 50: a concrete name is enforced with matchLabels)", [{ ...KS, name: "other", matchLabels: { team: "a" } }], {}, {}],
  ])("matchLabels is only looked at after namespace, kind, severity and name pass: %s", (_name, sources, change, spec) => {
    expect(run(sources, change, spec)).toEqual({ matched: false, problems: [] });
  });

  it("namespace and name compare case-sensitively", () => {
    expect(run([{ ...KS, name: "Apps" }]).matched).toBe(false);
    expect(run([{ ...KS, name: "*", namespace: "Flux-System" }]).matched).toBe(false);
  });

  it("an explicit empty namespace defaults like an absent one (Go tests for \"\")", () => {
    const alert = alertA();
    const empty = { ...alert, spec: { ...alert.spec, eventSources: [{ ...KS, name: "*", namespace: "" }] } } as AlertManifest;
    expect(matchAlert(eventE(), empty).matched).toBe(true);
  });

  it("an Alert in another namespace needs an explicit source namespace", () => {
    const other = { ...alertA(), metadata: { name: "a", namespace: "team-a" } } as AlertManifest;
    expect(matchAlert(eventE(), other).matched).toBe(false);
    expect(matchAlert(eventE({ involvedObject: { namespace: "team-a" } }), other).matched).toBe(true);
  });

  it("an error alert passes only the exact string error", () => {
    for (const severity of ["info", "Error", "ERROR", "trace", "", "warning"]) {
      expect(run([{ ...KS, name: "*" }], { severity }, { eventSeverity: "error" }).matched).toBe(false);
    }
  });

  it("no sources, no match", () => {
    expect(run([])).toEqual({ matched: false, problems: [] });
  });

  it("a name with glob characters is literal (and matches an object of that literal name)", () => {
    expect(run([{ ...KS, name: "ap?s" }]).matched).toBe(false);
    expect(run([{ ...KS, name: "ap?s" }], { involvedObject: { name: "ap?s" } }).matched).toBe(true);
  });
});

describe("matchAlert: inclusion and exclusion lists (spec 2.5)", () => {
  const run = (spec: Record<string, unknown>, message = eventE().message) => matchAlert(eventE({ message }), alertA(spec));
  const reasons = (ps: AlertProblem[]) => ps.map((p) => p.message);

  it.each<[string, Record<string, unknown>, string, boolean]>([
    ["empty lists include everything", {}, "anything", true],
    ["inclusion: any entry suffices", { inclusionList: ["nope", "revision"] }, "Applied revision", true],
    ["inclusion: none matches", { inclusionList: ["nope", "nada"] }, "Applied revision", false],
    ["exclusion: any entry excludes", { exclusionList: ["nope", "revision"] }, "Applied revision", false],
    ["exclusion without inclusion", { exclusionList: ["^Health"] }, "Applied revision", true],
    ["matching is unanchored", { inclusionList: ["lied rev"] }, "Applied revision", true],
    ["$ is end of text, not end of line", { inclusionList: ["a$"] }, "a\nb", false],
    ["(?m) makes $ end of line", { inclusionList: ["(?m)a$"] }, "a\nb", true],
    ["dot does not match a newline", { inclusionList: ["a.b"] }, "a\nb", false],
    ["(?s) lets dot match a newline", { inclusionList: ["(?s)a.b"] }, "a\nb", true],
    ["an empty pattern matches every message", { inclusionList: [""] }, "", true],
    ["an empty message", { inclusionList: ["x"] }, "", false],
    ["a lone surrogate is seen as U+FFFD, as Go's decoder does", { inclusionList: ["\\x{FFFD}"] }, "bad \ud800 char", true],
  ])("%s", (_name, spec, message, matched) => {
    expect(run(spec, message).matched).toBe(matched);
  });

  it("only inclusion entries that Flux reaches are reported (Flux stops at the first match)", () => {
    expect(reasons(run({ inclusionList: ["Applied", "["] }).problems)).toEqual([]);
    expect(reasons(run({ inclusionList: ["[", "Applied", "("] }).problems)).toEqual(["failed to compile inclusion regex: ["]);
    expect(reasons(run({ inclusionList: ["[", "nope", "("] }).problems)).toEqual(["failed to compile inclusion regex: [", "failed to compile inclusion regex: ("]);
  });

  it("exclusion is only evaluated for included messages", () => {
    expect(run({ inclusionList: ["nope"], exclusionList: ["["] }).problems).toEqual([]);
    expect(reasons(run({ inclusionList: ["Applied"], exclusionList: ["(", "main@", "["] }).problems)).toEqual(["failed to compile exclusion regex: ("]);
  });

  it("a list of only invalid inclusion entries drops every event", () => {
    const r = run({ inclusionList: ["(?=x)", "\\1"] });
    expect(r.matched).toBe(false);
    expect(r.problems.map((p) => p.field)).toEqual(["spec.inclusionList[0]", "spec.inclusionList[1]"]);
  });

  it("does not match reason, name or metadata", () => {
    const e = eventE({ reason: "Boom", involvedObject: { name: "apps" }, metadata: { "event.toolkit.fluxcd.io/env": "Boom" } });
    expect(matchAlert(e, alertA({ inclusionList: ["Boom"] })).matched).toBe(false);
  });
});

describe("alertConfigProblems", () => {
  it("a plain alert has none", () => {
    expect(alertConfigProblems(alertA({ inclusionList: ["(?i)applied"], exclusionList: ["\\pL+"] }))).toEqual([]);
  });

  it("reports every invalid regex with RE2's error, whatever its position", () => {
    expect(alertConfigProblems(alertA({ inclusionList: ["ok", "["], exclusionList: ["(?=x)", "fine", "\\1"] }))).toEqual([
      { reason: "InvalidConfig", field: "spec.inclusionList[1]", message: "failed to compile inclusion regex: [: error parsing regexp: missing closing ]: `[`" },
      { reason: "InvalidConfig", field: "spec.exclusionList[0]", message: "failed to compile exclusion regex: (?=x): error parsing regexp: invalid or unsupported Perl syntax: `(?=`" },
      { reason: "InvalidConfig", field: "spec.exclusionList[2]", message: "failed to compile exclusion regex: \\1: error parsing regexp: invalid escape sequence: `\\1`" },
    ]);
  });

  it("reports matchLabels entries, even {}", () => {
    const ps = alertConfigProblems(alertA({ eventSources: [{ ...KS, name: "*" }, { ...KS, name: "*", namespace: "apps", matchLabels: {} }] }));
    expect(ps).toEqual([
      {
        reason: "SourceFetchFailed",
        field: "spec.eventSources[1].matchLabels",
        message: "event source Kustomization/apps/* never matches: matchLabels needs the live object's labels, which the relay cannot read",
      },
    ]);
  });

  it("reports an empty eventSources list", () => {
    expect(alertConfigProblems(alertA({ eventSources: [] }))).toEqual([
      { reason: "NoEventSources", field: "spec.eventSources", message: "spec.eventSources is empty, so the Alert matches no event" },
    ]);
  });

  it("reports the literal-wildcard mistakes (globs in names), not namespace '*' (a relay wildcard)", () => {
    const ps = alertConfigProblems(alertA({ eventSources: [{ ...KS, name: "*", namespace: "*" }, { ...KS, name: "app-*" }, { ...KS, name: "a?" }] }));
    expect(ps.map((p) => [p.reason, p.field])).toEqual([
      ["InvalidConfig", "spec.eventSources[1].name"],
      ["InvalidConfig", "spec.eventSources[2].name"],
    ]);
    expect(ps[0].message).toBe("event source Kustomization/flux-system/app-* never matches: only a name of exactly '*' is a wildcard, other names are compared literally");
  });

  it("is independent of suspend", () => {
    expect(alertConfigProblems(alertA({ suspend: true, inclusionList: ["["] }))).toHaveLength(1);
  });
});
