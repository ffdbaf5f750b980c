import { describe, expect, it } from "vitest";
import { problemMessages } from "../../src/notifiers/kit/validate";
import { incidentio } from "../../src/notifiers/incidentio";
import { isSkip } from "../../src/notifiers/types";
import { expectLeaksNoSecret, expectStatusTable } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, vectorContext, vectorSettings } from "../support/vectors";

// Computed from fluxcd/notification-controller internal/notifier/incidentio.go (commit in each vector's `source`).
const vectors = loadVectors("incident.io");
const sent = vectors.filter((v) => !v.expect.noRequest);
const skipped = vectors.filter((v) => v.expect.noRequest);
const [info] = sent;

describe("incident.io vectors", () => {
  itFormatsVectors(incidentio, sent);
  for (const v of skipped) {
    it(v.name, async () => {
      const result = await incidentio.format(vectorContext(v));
      expect(isSkip(result)).toBe(true);
    });
  }
  it("names the Go file each vector comes from", () => {
    for (const v of vectors) expect(v.source).toMatchObject({ repository: "fluxcd/notification-controller", file: "internal/notifier/incidentio.go" });
  });
});

describe("incident.io settings and responses", () => {
  it("needs the API token", () => {
    expect(problemMessages(incidentio.validate({ ...vectorSettings(info), token: "" }))).toEqual(["no incident.io API token: set the token key in the Secret referenced by spec.secretRef"]);
  });
  it("classifies statuses by the shared table", () => expectStatusTable(incidentio));
  it("leaks no token", () => expectLeaksNoSecret(incidentio, vectorContext(info), ["inc_api_token_123"]));
});
