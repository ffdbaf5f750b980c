import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeFluxEvent, type FluxEvent } from "../../src/flux/event";
import { goJson } from "../../src/lib/gojson";
import { matrix } from "../../src/notifiers/matrix";
import type { NotifyContext, OutboundRequest, ProviderSettings } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const vectors = loadVectors("matrix");
const [info] = vectors;

const context = (event: Partial<FluxEvent> = {}, settings: Partial<ProviderSettings> = {}) =>
  vectorContext(info, { event, settings });

const request = (ctx: NotifyContext) => formatRequest(matrix, ctx);

const txnId = (req: OutboundRequest) => req.url.slice(req.url.lastIndexOf("/") + 1);

describe("matrix vectors", () => {
  itFormatsVectors(matrix, vectors, {
    check(req, v, { event }) {
      expect(req.body).toBe(goJson(v.expect.body));
      // The transaction id hashes the same bytes a generic webhook would carry.
      expect(encodeFluxEvent(event)).toBe(v.txnIdSource);
      expect(txnId(req)).toBe(createHash("sha1").update(String(v.txnIdSource)).digest("hex"));
    },
  });
});

describe("matrix transaction id", () => {
  it("is stable across retries and redeliveries of the same event", async () => {
    expect((await request(context())).url).toBe((await request(context())).url);
  });
  it("differs for a different event", async () => {
    expect(txnId(await request(context({ message: "other" })))).not.toBe(txnId(await request(context())));
  });
});

describe("matrix payload", () => {
  it("ends the body after the message when there is no metadata", async () => {
    const req = await request(context({ metadata: {}, message: "Applied <rev>" }));
    expect(req.body).toBe(String.raw`{"body":"💫 kustomization/apps.flux-system\nApplied \u003crev\u003e\n","msgtype":"m.text"}`);
  });

  it("lists error metadata sorted by key", async () => {
    const req = await request(context({ severity: "error", message: "failed", metadata: { revision: "main@sha1:abc", env: "prod" } }));
    expect(req.body).toBe(
      String.raw`{"body":"🚨 kustomization/apps.flux-system\nfailed\n- env: prod\n- revision: main@sha1:abc\n","msgtype":"m.text"}`,
    );
  });

  it("concatenates the address as Flux does", async () => {
    const req = await request(context({}, { address: "https://matrix.example.org/" }));
    expect(req.url).toMatch(/^https:\/\/matrix\.example\.org\/\/_matrix\/client\/r0\/rooms\/!roomid:matrix\.example\.org\/send\/m\.room\.message\/[0-9a-f]{40}$/);
  });
});

describe("matrix settings", () => {
  const settings = vectorSettings(info);
  it("needs a homeserver address, a room id and an access token", () => {
    expect(problemMessages(matrix.validate({ ...settings, address: "", channel: "", token: "" }))).toEqual([
      "no address: set spec.address or the Secret's address key",
      "no Matrix room: set spec.channel to the room id (!…:server)",
      "no Matrix access token: set the token key in the Secret referenced by spec.secretRef",
    ]);
  });
  it("refuses a room alias, which the send endpoint cannot take", () => {
    expect(problemMessages(matrix.validate({ ...settings, channel: "#flux:matrix.org" }))).toEqual([expect.stringMatching(/must be a Matrix room id/)]);
  });
});

describe("matrix responses", () => {
  it("classifies statuses by the shared table", () => expectStatusTable(matrix));

  it("reads retry_after_ms from M_LIMIT_EXCEEDED", () => {
    const body = '{"errcode":"M_LIMIT_EXCEEDED","error":"Too Many Requests","retry_after_ms":2000}';
    expect(classifyWith(matrix, response(429, body))).toMatchObject({ outcome: "retry", retryAfterMs: 2000 });
  });

  it("prefers the Retry-After header", () => {
    const body = '{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":2000}';
    expect(classifyWith(matrix, response(429, body, { "Retry-After": "5" }))).toMatchObject({ outcome: "retry", retryAfterMs: 5000 });
  });

  it("keeps M_FORBIDDEN permanent", () => {
    expect(classifyWith(matrix, response(403, '{"errcode":"M_FORBIDDEN","error":"not in room"}'))).toMatchObject({ outcome: "permanent" });
  });

  it("has no published pace", () => expect(matrix.paceMs).toBeUndefined());
});

describe("matrix secrets", () => {
  it("leaks no access token", async () => {
    await expectLeaksNoSecret(matrix, context({}, { token: "syt_S3cretAccessToken" }), ["syt_S3cretAccessToken"]);
  });
});
