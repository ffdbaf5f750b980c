import { describe, expect, it } from "vitest";
import { problemMessages } from "../../src/notifiers/kit/validate";
import { zoom } from "../../src/notifiers/zoom";
import { expectLeaksNoSecret, expectStatusTable, formatRequest } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, vectorContext, vectorSettings } from "../support/vectors";

// Computed from fluxcd/notification-controller internal/notifier/zoom.go (commit in each vector's `source`).
const vectors = loadVectors("zoom");
const [info] = vectors;

describe("zoom vectors", () => {
  itFormatsVectors(zoom, vectors);
  it("names the Go file each vector comes from", () => {
    for (const v of vectors) expect(v.source).toMatchObject({ repository: "fluxcd/notification-controller", file: "internal/notifier/zoom.go" });
  });
});

describe("zoom request", () => {
  it("sorts the metadata fields, which Flux sends in Go's random map order", async () => {
    const req = await formatRequest(zoom, vectorContext(info, { event: { metadata: { b: "2", a: "1" } } }));
    expect(JSON.parse(req.body).content.body[1].items).toEqual([{ key: "a", value: "1" }, { key: "b", value: "2" }]);
  });

  it("keeps URL credentials off the wire: the token is the Authorization header", async () => {
    const req = await formatRequest(zoom, vectorContext(info, { settings: { address: "https://u:p@integrations.zoom.us/chat/webhooks/incomingwebhook/x" } }));
    expect(req.url).toBe("https://integrations.zoom.us/chat/webhooks/incomingwebhook/x?format=full");
    expect(req.headers.Authorization).toBe("zoom-verification-token");
  });
});

describe("zoom settings and responses", () => {
  it("needs the verification token and an http(s) address", () => {
    expect(problemMessages(zoom.validate({ ...vectorSettings(info), token: "" }))).toEqual(["no Zoom verification token: set the token key in the Secret referenced by spec.secretRef"]);
    expect(problemMessages(zoom.validate({ ...vectorSettings(info), address: "ftp://x" }))).toEqual(["invalid address: scheme must be http or https"]);
  });
  it("classifies statuses by the shared table", () => expectStatusTable(zoom));
  it("leaks no token", () => expectLeaksNoSecret(zoom, vectorContext(info), ["zoom-verification-token"]));
});
