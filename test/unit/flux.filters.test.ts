import { describe, expect, it } from "vitest";
import { cleanMetadata, combineMetadata, removeToken } from "../../src/flux/metadata";
import type { FluxEvent } from "../../src/flux/event";
import { providerFilter } from "../../src/flux/filters";
import { CHANGE_REQUEST_TYPES, COMMIT_STATUS_TYPES, GENERIC_TYPES, PROVIDER_TYPES, type ProviderType } from "../../src/flux/manifests";
import { matchAlert } from "../../src/flux/match";
import { alertA, eventE, forwardedE, KS_GROUP, REV, SHA } from "./flux.fixtures";

const EG = "event.toolkit.fluxcd.io";
const UPDATE = { [`${KS_GROUP}/commit_status`]: "update" };
const COMMIT = { [`${EG}/commit`]: SHA };
const CR = { [`${EG}/change_request`]: "42" };
const OTHER_TYPES = PROVIDER_TYPES.filter((t) => ![...COMMIT_STATUS_TYPES, ...CHANGE_REQUEST_TYPES, ...GENERIC_TYPES].includes(t));

/** The ingress order up to the provider filter: clean, drop token, match, filter (spec 1.2, 4.1). */
const ingest = (e: FluxEvent) => removeToken(cleanMetadata(e));
const code = (e: FluxEvent, type: ProviderType) => {
  const r = providerFilter(ingest(e), type);
  return r.pass ? "pass" : r.code;
};

describe("providerFilter: spec section 10 cases", () => {
  it("case 41: slack never receives commit-status updates, silently", () => {
    expect(providerFilter(ingest(eventE({ metadata: UPDATE })), "slack")).toEqual({
      pass: false,
      code: "commitStatusUpdate",
      reason: "commit status update events are not sent to slack providers",
    });
  });

  it("case 42: generic forwards the update and delivers commit_status un-prefixed", () => {
    const e = ingest(eventE({ metadata: UPDATE }));
    const alert = alertA();
    expect(matchAlert(e, alert).matched).toBe(true);
    expect(providerFilter(e, "generic")).toEqual({ pass: true });
    expect(combineMetadata(e, alert).event.metadata).toEqual({ revision: REV, commit_status: "update" });
  });

  it("case 43: github drops info events without a commit key", () => {
    expect(providerFilter(ingest(eventE()), "github")).toEqual({
      pass: false,
      code: "missingCommit",
      reason: "event dropped for commit status providers due to missing commit metadata key",
    });
  });

  it("case 44: error events bypass the commit-key guard", () => {
    expect(code(eventE({ severity: "error" }), "github")).toBe("pass");
  });

  it("case 45: a commit key lets a Progressing event through routing", () => {
    expect(code(eventE({ reason: "Progressing", metadata: COMMIT }), "github")).toBe("pass");
  });

  it("case 46: githubpullrequestcomment needs change_request", () => {
    expect(providerFilter(ingest(eventE()), "githubpullrequestcomment")).toEqual({
      pass: false,
      code: "missingChangeRequest",
      reason: "event dropped for change request providers due to missing change request metadata key",
    });
  });
});

describe("providerFilter: every type class against every event class", () => {
  const events: Record<string, FluxEvent> = {
    plain: eventE(),
    update: eventE({ metadata: UPDATE }),
    commit: eventE({ metadata: COMMIT }),
    changeRequest: eventE({ metadata: CR }),
    errorNoCommit: eventE({ severity: "error" }),
    errorUpdate: eventE({ severity: "error", metadata: UPDATE }),
    changeRequestUpdate: eventE({ metadata: { ...CR, ...UPDATE } }),
  };
  const expected: Record<"commitStatus" | "changeRequest" | "generic" | "other", Record<keyof typeof events, string>> = {
    commitStatus: { plain: "missingCommit", update: "pass", commit: "pass", changeRequest: "missingCommit", errorNoCommit: "pass", errorUpdate: "pass", changeRequestUpdate: "pass" },
    changeRequest: { plain: "missingChangeRequest", update: "commitStatusUpdate", commit: "missingChangeRequest", changeRequest: "pass", errorNoCommit: "missingChangeRequest", errorUpdate: "commitStatusUpdate", changeRequestUpdate: "commitStatusUpdate" },
    generic: { plain: "pass", update: "pass", commit: "pass", changeRequest: "pass", errorNoCommit: "pass", errorUpdate: "pass", changeRequestUpdate: "pass" },
    other: { plain: "pass", update: "commitStatusUpdate", commit: "pass", changeRequest: "pass", errorNoCommit: "pass", errorUpdate: "commitStatusUpdate", changeRequestUpdate: "commitStatusUpdate" },
  };
  const classes: [keyof typeof expected, readonly ProviderType[]][] = [
    ["commitStatus", COMMIT_STATUS_TYPES],
    ["changeRequest", CHANGE_REQUEST_TYPES],
    ["generic", GENERIC_TYPES],
    ["other", OTHER_TYPES],
  ];

  it("covers every provider type exactly once", () => {
    expect(classes.flatMap(([, types]) => types).sort()).toEqual([...PROVIDER_TYPES].sort());
  });

  for (const [cls, types] of classes) {
    it.each(types.map((t) => [t]))(`${cls}: %s`, (type) => {
      const got = Object.fromEntries(Object.entries(events).map(([name, e]) => [name, code(e, type)]));
      expect(got).toEqual(expected[cls]);
    });
  }
});

describe("providerFilter: key details", () => {
  it.each<[string, Record<string, string>, ProviderType, string]>([
    ["an empty commit value is no commit", { [`${EG}/commit`]: "" }, "gitlab", "missingCommit"],
    ["an empty change_request value is none", { [`${EG}/change_request`]: "" }, "gitlabmergerequestcomment", "missingChangeRequest"],
    ["commit under the object group is not the commit key", { [`${KS_GROUP}/commit`]: SHA }, "gitea", "missingCommit"],
    ["commit_status under the event group is not an update", { [`${EG}/commit_status`]: "update" }, "msteams", "pass"],
    ["commit_status must be exactly update", { [`${KS_GROUP}/commit_status`]: "Update" }, "discord", "pass"],
    ["an un-prefixed commit on a controller-shaped event was dropped at ingestion", { commit: SHA }, "bitbucket", "missingCommit"],
  ])("%s", (_name, metadata, type, expected) => {
    expect(code(eventE({ metadata }), type)).toBe(expected);
  });

  it("reads forwarded events' un-prefixed keys", () => {
    expect(providerFilter(forwardedE({ revision: REV, commit: SHA }), "github")).toEqual({ pass: true });
    expect(providerFilter(forwardedE({ revision: REV }), "github")).toMatchObject({ pass: false, code: "missingCommit" });
    expect(providerFilter(forwardedE({ commit_status: "update" }), "slack")).toMatchObject({ pass: false, code: "commitStatusUpdate" });
    expect(providerFilter(forwardedE({ change_request: "7" }), "giteapullrequestcomment")).toEqual({ pass: true });
  });

  it("an Alert's eventMetadata cannot satisfy the guard (filter before combining)", () => {
    const e = ingest(eventE());
    const combined = combineMetadata(e, alertA({ eventMetadata: { commit: SHA } })).event;
    expect(code(e, "github")).toBe("missingCommit");
    expect(combined.metadata.commit).toBe(SHA);
  });
});
