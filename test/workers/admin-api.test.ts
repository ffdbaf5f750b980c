import { env, exports } from "cloudflare:workers";
import { parse as parseYaml } from "yaml";
import { beforeEach, describe, expect, it } from "vitest";
import { PROVIDER_TYPES } from "../../src/flux/manifests";
import { api } from "../../src/routes/api";
import { admin, captureBox, clearConfig, fixtureEvent, putAlert, putProvider, sendSigned, waitUntil } from "../support/workers";

type Json = any;
const json = async (res: Response): Promise<Json> => res.json();

let uniq = 0;
const fresh = () => fixtureEvent({ message: `admin api test ${++uniq}` });

const PROVIDER_YAML = `# the team's Slack-compatible hook
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: roundtrip
  namespace: flux-system
  annotations:
    reconcile.fluxcd.io/requestedAt: "2026-01-15T10:00:00Z"
spec:
  type: generic
  address: http://127.0.0.1:9/roundtrip
  timeout: 20s
`;

/** Every admin route with a sample body; each must refuse a request without the right token. */
const ROUTES: [string, string, string?][] = [
  ["GET", "/api/v1/openapi.json"],
  ["GET", "/api/v1/providers"],
  ["GET", "/api/v1/providers/flux-system/p"],
  ["PUT", "/api/v1/providers/flux-system/p", PROVIDER_YAML],
  ["DELETE", "/api/v1/providers/flux-system/p"],
  ["POST", "/api/v1/providers/flux-system/p/suspend"],
  ["POST", "/api/v1/providers/flux-system/p/resume"],
  ["POST", "/api/v1/providers/flux-system/p/retry"],
  ["POST", "/api/v1/providers/flux-system/p/test"],
  ["GET", "/api/v1/providers/flux-system/p/deliveries"],
  ["GET", "/api/v1/providers/flux-system/p/deadletters"],
  ["GET", "/api/v1/providers/flux-system/p/deadletters/:id"],
  ["POST", "/api/v1/providers/flux-system/p/deadletters/replay"],
  ["POST", "/api/v1/providers/flux-system/p/deadletters/discard"],
  ["GET", "/api/v1/alerts"],
  ["GET", "/api/v1/alerts/flux-system/a"],
  ["PUT", "/api/v1/alerts/flux-system/a", "{}"],
  ["DELETE", "/api/v1/alerts/flux-system/a"],
  ["POST", "/api/v1/alerts/flux-system/a/preview"],
  ["GET", "/api/v1/silences"],
  ["POST", "/api/v1/silences", "{}"],
  ["GET", "/api/v1/silences/:id"],
  ["DELETE", "/api/v1/silences/:id"],
  ["GET", "/api/v1/clusters"],
  ["GET", "/api/v1/clusters/prod"],
  ["GET", "/metrics"],
];

const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  exports.default.fetch(`http://relay${path}`, { method, headers, body });

describe("admin API authentication", () => {
  beforeEach(clearConfig);

  it("covers every route the API defines", () => {
    const defined = api.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} /api/v1${r.path.replace(/:ns/, "flux-system").replace(/:name/, r.path.includes("alerts") ? "a" : "p").replace(/:cluster/, "prod")}`);
    const listed = ROUTES.map(([m, p]) => `${m} ${p}`);
    expect(defined.filter((d) => !listed.includes(d))).toEqual([]);
  });

  it.each(ROUTES)("%s %s: 401 JSON without a token, with a wrong one, or with a forged cookie; nothing written", async (method, path, body) => {
    for (const headers of [{}, { authorization: "Bearer wrong-token" }, { authorization: "Basic dGVzdC1hZG1pbi10b2tlbg==" }, { cookie: "flux_relay_session=9999999999.00" }] as Record<string, string>[]) {
      const res = await call(method, path, headers, body);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      const err = await json(res);
      expect(err).toEqual({ error: expect.any(String), details: expect.any(Array) });
      expect(JSON.stringify(err)).not.toContain("test-admin-token");
    }
    expect((await env.CONFIG.list({ prefix: "providers/" })).keys).toEqual([]);
    expect((await env.CONFIG.list({ prefix: "alerts/" })).keys).toEqual([]);
  });

  it("accepts the right token in any case of the Bearer scheme", async () => {
    expect((await call("GET", "/api/v1/providers", { authorization: "bearer test-admin-token" })).status).toBe(200);
  });
});

describe("admin API objects", () => {
  beforeEach(clearConfig);

  it.each([
    ["GET", "/providers/flux-system/nope"],
    ["DELETE", "/providers/flux-system/nope"],
    ["POST", "/providers/flux-system/nope/suspend"],
    ["POST", "/providers/flux-system/nope/resume"],
    ["POST", "/providers/flux-system/nope/test"],
    ["GET", "/providers/flux-system/nope/deliveries"],
    ["GET", "/providers/flux-system/nope/deadletters"],
    ["POST", "/providers/flux-system/nope/deadletters/replay"],
    ["POST", "/providers/flux-system/nope/deadletters/discard"],
    ["GET", "/alerts/flux-system/nope"],
    ["DELETE", "/alerts/flux-system/nope"],
  ])("%s %s: 404 JSON for an unknown object", async (method, path) => {
    const res = await admin(path, { method });
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({ error: expect.stringMatching(/not found/), details: [] });
  });

  it("round-trips a YAML Provider: 201, stored verbatim, read back as YAML with status, re-applied unchanged", async () => {
    const put = await admin("/providers/flux-system/roundtrip?format=yaml", { method: "PUT", body: PROVIDER_YAML, headers: { "content-type": "application/yaml" } });
    expect(put.status).toBe(201);
    expect(put.headers.get("content-type")).toMatch(/^application\/yaml/);
    expect(await env.CONFIG.get("providers/flux-system/roundtrip")).toBe(PROVIDER_YAML);

    const got = await admin("/providers/flux-system/roundtrip?format=yaml");
    expect(got.status).toBe(200);
    const text = await got.text();
    const obj = parseYaml(text);
    const sent = parseYaml(PROVIDER_YAML);
    expect(obj.apiVersion).toBe(sent.apiVersion);
    expect(obj.kind).toBe("Provider");
    expect(obj.metadata).toEqual(sent.metadata);
    expect(obj.spec).toEqual({ ...sent.spec, suspend: false });
    expect(obj.status.conditions.find((c: Json) => c.type === "Ready")).toMatchObject({ status: "True", reason: "Succeeded" });
    expect(obj.status.lastHandledReconcileAt).toBe("2026-01-15T10:00:00Z");
    expect(obj.status).toMatchObject({ suspended: false, queueDepth: 0, deadLetters: 0 });

    // What GET shows can be applied again as is (status is ignored), as with kubectl.
    const again = await admin("/providers/flux-system/roundtrip", { method: "PUT", body: text });
    expect(again.status).toBe(200);
    expect((await json(again)).spec).toEqual(obj.spec);

    const list = await json(await admin("/providers"));
    expect(list).toMatchObject({ apiVersion: "v1", kind: "List", invalid: [] });
    expect(list.items.map((p: Json) => p.metadata.name)).toEqual(["roundtrip"]);
  });

  it("round-trips a JSON Alert with CRD defaults and reports a missing provider on its status", async () => {
    const alert = {
      apiVersion: "notification.toolkit.fluxcd.io/v1beta2",
      kind: "Alert",
      metadata: { name: "on-call" },
      spec: { providerRef: { name: "pager" }, eventSources: [{ kind: "HelmRelease", name: "*" }] },
    };
    const put = await admin("/alerts/apps/on-call", { method: "PUT", body: JSON.stringify(alert) });
    expect(put.status).toBe(201);
    const got = await json(await admin("/alerts/apps/on-call"));
    expect(got.metadata).toEqual({ name: "on-call", namespace: "apps" });
    expect(got.spec).toEqual({ ...alert.spec, eventSeverity: "info", inclusionList: [], exclusionList: [], eventMetadata: {}, suspend: false });
    expect(got.status.conditions[0]).toMatchObject({ type: "Ready", status: "False", reason: "Failed", message: "failed to get provider 'apps/pager': not found" });
    const yaml = parseYaml(await (await admin("/alerts?format=yaml")).text());
    expect(yaml.items[0].spec.providerRef).toEqual({ name: "pager" });

    expect(await json(await admin("/alerts/apps/on-call", { method: "DELETE" }))).toEqual({ deleted: "alerts/apps/on-call" });
    expect((await admin("/alerts/apps/on-call")).status).toBe(404);
  });

  it("422 lists every problem of an invalid manifest and writes nothing, neither new nor over an existing one", async () => {
    const invalid = `apiVersion: notification.toolkit.fluxcd.io/v1
kind: Provider
metadata:
  name: Bad_Name
spec:
  type: carrier-pigeon
  timeout: soon
  proxy: socks5://127.0.0.1:1080
  suspend: "yes"
`;
    const res = await admin("/providers/flux-system/p", { method: "PUT", body: invalid });
    expect(res.status).toBe(422);
    const body = await json(res);
    expect(body.error).toBe("invalid Provider manifest");
    const fields = body.details.map((d: string) => d.split(":")[0]);
    expect(fields).toEqual(expect.arrayContaining(["apiVersion", "metadata.name", "spec.type", "spec.timeout", "spec.proxy", "spec.suspend"]));
    expect(body.details).toContain('metadata.name: is "Bad_Name" but the object is stored as "p"');
    expect(body.details).toHaveLength(7);
    expect(await env.CONFIG.get("providers/flux-system/p")).toBeNull();

    await putProvider("p", { type: "generic", address: "http://127.0.0.1:9/" });
    const before = await env.CONFIG.get("providers/flux-system/p");
    expect((await admin("/providers/flux-system/p", { method: "PUT", body: invalid })).status).toBe(422);
    expect(await env.CONFIG.get("providers/flux-system/p")).toBe(before);
  });

  it.each([
    ["not YAML", "spec: [unclosed", /\(document\): not valid YAML/],
    ["empty", "", /\(document\)/],
    ["the wrong kind", JSON.stringify({ apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Alert", metadata: { name: "p" }, spec: {} }), /^kind:/],
    ["another name than the path", JSON.stringify({ apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Provider", metadata: { name: "other" }, spec: { type: "generic" } }), /^metadata\.name: is "other" but the object is stored as "p"/],
    ["another namespace than the path", JSON.stringify({ apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Provider", metadata: { name: "p", namespace: "x" }, spec: { type: "generic" } }), /^metadata\.namespace:/],
  ])("422 for %s", async (_what, body, detail) => {
    const res = await admin("/providers/flux-system/p", { method: "PUT", body });
    expect(res.status).toBe(422);
    const err = await json(res);
    expect(err.details.some((d: string) => detail.test(d)), JSON.stringify(err.details)).toBe(true);
    expect(await env.CONFIG.get("providers/flux-system/p")).toBeNull();
  });

  it("413 for a manifest beyond the size limit", async () => {
    const res = await admin("/providers/flux-system/p", { method: "PUT", body: `${PROVIDER_YAML}# ${"x".repeat(300 * 1024)}\n` });
    expect(res.status).toBe(413);
    expect(await env.CONFIG.get("providers/flux-system/p")).toBeNull();
  });

  it("a stored manifest that became invalid is a 422 with its problems, listed as invalid, and can still be deleted", async () => {
    await env.CONFIG.put("providers/flux-system/broken", JSON.stringify({ apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Provider", metadata: { name: "broken" }, spec: { type: "nope" } }));
    const res = await admin("/providers/flux-system/broken");
    expect(res.status).toBe(422);
    expect((await json(res)).details).toEqual([expect.stringMatching(/^spec\.type:/)]);
    expect((await json(await admin("/providers"))).invalid).toEqual([{ key: "providers/flux-system/broken", kind: "Provider", details: [expect.stringMatching(/^spec\.type:/)] }]);
    expect((await admin("/providers/flux-system/broken/deadletters")).status).toBe(200);
    expect((await admin("/providers/flux-system/broken", { method: "DELETE" })).status).toBe(200);
  });

  it("suspend and resume answer the Provider with its status; suspended events are dropped and counted", async () => {
    const box = captureBox();
    await putProvider("sus", { type: "generic", address: box.url });
    await putAlert("a", { providerRef: { name: "sus" } });
    const suspended = await json(await admin("/providers/flux-system/sus/suspend", { method: "POST" }));
    expect(suspended.status.suspended).toBe(true);
    expect((await sendSigned(fresh())).status).toBe(202);
    // The 202 follows the cluster's intake; the provider gets the event right after it.
    await waitUntil(async () => ((await json(await admin("/providers/flux-system/sus"))).status.counters.dropped === 1 ? true : undefined));
    const resumed = await json(await admin("/providers/flux-system/sus/resume", { method: "POST" }));
    expect(resumed.status).toMatchObject({ suspended: false, counters: { dropped: 1, received: 0 } });
    expect(await box.requests()).toEqual([]);
  });

  it("test sends a marked event through the real path and records it in the history", async () => {
    const box = captureBox();
    await putProvider("t", { type: "generic", address: box.url });
    const outcome = await json(await admin("/providers/flux-system/t/test", { method: "POST" }));
    expect(outcome).toMatchObject({ outcome: "delivered", status: 200, error: null });
    const [req] = await box.waitFor(1);
    expect(JSON.parse(req.body)).toMatchObject({ reason: "TestNotification", involvedObject: { kind: "Provider", name: "t" } });
    const history = await json(await admin("/providers/flux-system/t/deliveries?limit=5"));
    expect(history.items[0]).toMatchObject({ outcome: "delivered", test: true, cluster: "", status: 200, messageId: null });

    await box.program([{ status: 503, body: "down for maintenance" }]);
    expect(await json(await admin("/providers/flux-system/t/test", { method: "POST" }))).toMatchObject({ outcome: "failed", status: 503 });
  });

  it("lists, replays and discards dead letters, by id or all; refuses a malformed selection", async () => {
    const box = captureBox();
    await box.program([{ status: 400, body: "bad payload" }]);
    await putProvider("dead", { type: "generic", address: box.url });
    await putAlert("a", { providerRef: { name: "dead" } });
    for (let i = 0; i < 3; i++) expect((await sendSigned(fresh())).status).toBe(202);
    const letters = await waitUntil(async () => {
      const items = (await json(await admin("/providers/flux-system/dead/deadletters"))).items;
      return items.length === 3 ? items : undefined;
    });
    expect(letters[0]).toMatchObject({ attempts: 1, alert: "flux-system/a", reason: expect.stringMatching(/400/) });
    const yaml = parseYaml(await (await admin("/providers/flux-system/dead/deadletters?format=yaml")).text());
    expect(yaml.items).toHaveLength(3);

    for (const bad of ["not json", JSON.stringify({ ids: ["1"] }), JSON.stringify({ ids: [1], extra: true })]) {
      const res = await admin("/providers/flux-system/dead/deadletters/replay", { method: "POST", body: bad });
      expect(res.status).toBe(400);
    }
    expect((await admin("/providers/flux-system/dead/deliveries?limit=0")).status).toBe(400);

    expect(await json(await admin("/providers/flux-system/dead/deadletters/discard", { method: "POST", body: JSON.stringify({ ids: [letters[0].id] }) }))).toEqual({ discarded: 1 });
    await box.program([{ status: 200 }]);
    expect(await json(await admin("/providers/flux-system/dead/deadletters/replay", { method: "POST", body: JSON.stringify({ ids: [letters[1].id] }) }))).toEqual({ replayed: 1 });
    await box.waitFor(4);
    expect(await json(await admin("/providers/flux-system/dead/deadletters/replay", { method: "POST" }))).toEqual({ replayed: 1 });
    await box.waitFor(5);
    expect((await json(await admin("/providers/flux-system/dead/deadletters"))).items).toEqual([]);
  });
});

describe("OpenAPI document", () => {
  it("is generated from the zod schemas and describes every admin route", async () => {
    const doc = await json(await admin("/openapi.json"));
    expect(doc.openapi).toBe("3.1.0");
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).filter((m) => m !== "parameters").map((m) => `${m.toUpperCase()} ${path}`));
    const defined = api.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} /api/v1${r.path.replace(":ns", "{namespace}").replace(":name", "{name}").replace(":id", "{id}").replace(":cluster", "{cluster}")}`);
    expect(documented.sort()).toEqual([...new Set(defined)].sort());

    const schemas = doc.components.schemas;
    expect(schemas.ProviderManifest.properties.spec.properties.type.enum).toEqual([...PROVIDER_TYPES]);
    // Input shape: CRD defaults make fields optional in a PUT body; the answer always has them.
    expect(schemas.ProviderManifest.properties.spec.required).toEqual(["type"]);
    expect(JSON.stringify(schemas.Provider)).toContain('"#/components/schemas/ProviderStatus"');
    expect(schemas.DeliveryList.properties.items.items.properties.outcome.enum).toContain("dead-lettered");
    expect(schemas.Error.required).toEqual(["error", "details"]);
    for (const schema of Object.values(schemas) as Json[]) {
      expect(schema.$id).toBeUndefined();
      expect(schema.$schema).toBeUndefined();
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    for (const name of refs) expect(schemas[name], name).toBeDefined();
  });
});
