import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/ingress/hook";
import { captureBox, clearConfig, fixtureEvent, putAlert, putProvider, sendSigned, json } from "../support/workers";

let uniq = 0;
/** A distinct event each time, so dedup never interferes with what a test is about. */
const fresh = (overrides: Record<string, unknown> = {}) => fixtureEvent({ message: `ingress test ${++uniq}`, ...overrides });

describe("ingress authentication", () => {
  beforeEach(clearConfig);

  it.each(["sha256", "sha384", "sha512"] as const)("accepts an X-Signature %s HMAC of the body", async (alg) => {
    const res = await sendSigned(fresh(), { alg });
    expect(res.status).toBe(202);
  });

  it("rejects a signature made with the wrong key", async () => {
    const res = await sendSigned(fresh(), { key: "not-the-key" });
    expect(res.status).toBe(401);
    expect((await json(res)).error).toMatch(/does not match/);
  });

  it("rejects a request without signature or bearer", async () => {
    const res = await exports.default.fetch("http://relay/hook/test", { method: "POST", body: JSON.stringify(fresh()) });
    expect(res.status).toBe(401);
    expect((await json(res)).error).toMatch(/missing X-Signature/);
  });

  it("rejects a tampered body (signature over another body)", async () => {
    const body = JSON.stringify(fresh());
    const signed = await sendSigned(body, { headers: {} });
    expect(signed.status).toBe(202);
    const { hmacHex } = await import("../../src/lib/crypto");
    const signature = `sha256=${await hmacHex("SHA-256", "test-ingress-key", body)}`;
    const res = await exports.default.fetch("http://relay/hook/test", { method: "POST", headers: { "x-signature": signature }, body: body.replace("ingress test", "ingress tset") });
    expect(res.status).toBe(401);
  });

  it("accepts both keys of a rotation list for that cluster, and only those", async () => {
    expect((await sendSigned(fresh(), { cluster: "rotating", key: "old-key" })).status).toBe(202);
    expect((await sendSigned(fresh(), { cluster: "rotating", key: "new-key" })).status).toBe(202);
    expect((await sendSigned(fresh(), { cluster: "rotating", key: "test-ingress-key" })).status).toBe(401);
  });

  it("accepts Authorization: Bearer with a cluster key (Flux generic provider with headers)", async () => {
    const res = await exports.default.fetch("http://relay/hook/test", { method: "POST", headers: { authorization: "Bearer test-ingress-key" }, body: JSON.stringify(fresh()) });
    expect(res.status).toBe(202);
    const wrong = await exports.default.fetch("http://relay/hook/test", { method: "POST", headers: { authorization: "Bearer nope" }, body: JSON.stringify(fresh()) });
    expect(wrong.status).toBe(401);
  });

  it("refuses a malformed cluster name", async () => {
    const res = await sendSigned(fresh(), { cluster: "Bad_Cluster" });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(/cluster/);
  });
});

describe("ingress body handling", () => {
  beforeEach(clearConfig);

  it("answers 400 for a body that is not JSON", async () => {
    const res = await sendSigned("{not json");
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(/not valid JSON/);
  });

  it("answers 400 naming the field for schema errors", async () => {
    const res = await sendSigned(fresh({ metadata: { a: 1 } }));
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toMatch(/metadata\.a/);
    const ts = await sendSigned(fresh({ timestamp: "" }));
    expect(ts.status).toBe(400);
    expect((await json(ts)).error).toMatch(/timestamp/);
  });

  it("accepts exactly 1 MiB (an intake log row must fit SQLite's 2 MB) and answers 413 one byte beyond", async () => {
    const base = JSON.stringify(fresh({ message: "" }));
    const pad = (n: number) => base.replace('"message":""', `"message":"${"x".repeat(n - base.length)}"`);
    const exact = pad(MAX_BODY_BYTES);
    expect(exact.length).toBe(MAX_BODY_BYTES);
    expect((await sendSigned(exact)).status).toBe(202);
    const over = await sendSigned(pad(MAX_BODY_BYTES + 1));
    expect(over.status).toBe(413);
    expect((await json(over)).error).toMatch(/exceeds/);
  });
});

describe("event shapes", () => {
  beforeEach(clearConfig);

  it("controller-shaped: Flux metadata rules, prefixes stripped, foreign keys dropped", async () => {
    const box = captureBox();
    await putProvider("p", { type: "generic", address: box.url });
    await putAlert("a", { providerRef: { name: "p" } });
    await sendSigned(fresh({ metadata: { "kustomize.toolkit.fluxcd.io/revision": "main@sha1:abc", "event.toolkit.fluxcd.io/env": "prod", foo: "bar" } }));
    const [req] = await box.waitFor(1);
    expect(JSON.parse(req.body).metadata).toEqual({ cluster: "test", env: "prod", revision: "main@sha1:abc" });
  });

  it("forwarded-shaped (from a notification-controller generic provider): keys kept as they are", async () => {
    const box = captureBox();
    await putProvider("p", { type: "generic", address: box.url });
    await putAlert("a", { providerRef: { name: "p" } });
    await sendSigned(fresh({ metadata: { revision: "main@sha1:abc", summary: "prod cluster", commit_status: "update" } }));
    const [req] = await box.waitFor(1);
    expect(JSON.parse(req.body).metadata).toEqual({ cluster: "test", revision: "main@sha1:abc", summary: "prod cluster", commit_status: "update" });
  });
});

describe("secret bindings", () => {
  beforeEach(clearConfig);

  it("reads a JSON object secret (generic-hmac token)", async () => {
    const box = captureBox();
    await putProvider("p", { type: "generic-hmac", address: box.url, secretRef: { name: "hmac-token" } });
    await putAlert("a", { providerRef: { name: "p" } });
    await sendSigned(fresh());
    const [req] = await box.waitFor(1);
    const { hmacHex } = await import("../../src/lib/crypto");
    expect(req.headers["x-signature"]).toBe(`sha256=${await hmacHex("SHA-256", "relay-out-key", req.body)}`);
  });

  it("reads a whole Kubernetes Secret manifest (base64 data, stringData wins, headers map)", async () => {
    const box = captureBox();
    await putProvider("p", { type: "generic-hmac", address: box.url, secretRef: { name: "yaml-secret" } });
    await putAlert("a", { providerRef: { name: "p" } });
    await sendSigned(fresh());
    const [req] = await box.waitFor(1);
    const { hmacHex } = await import("../../src/lib/crypto");
    expect(req.headers["x-signature"]).toBe(`sha256=${await hmacHex("SHA-256", "string-data-token", req.body)}`);
    expect(req.headers["x-team"]).toBe("platform");
  });

  it("parses the same Secret from YAML and JSON forms", async () => {
    const { parseSecretValue } = await import("../../src/config/secrets");
    const yaml = parseSecretValue((env as unknown as Record<string, string>).SECRET__FLUX_SYSTEM__YAML_SECRET, "X");
    expect(yaml).toEqual({ token: "string-data-token", headers: "X-Team: platform" });
    const json = parseSecretValue(JSON.stringify({ kind: "Secret", data: { token: btoa("a") }, stringData: { token: "b" } }), "X");
    expect(json).toEqual({ token: "b" });
  });
});
