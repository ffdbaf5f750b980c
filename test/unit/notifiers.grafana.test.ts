import { describe, expect, it } from "vitest";
import { grafana } from "../../src/notifiers/grafana";
import type { NotifyContext } from "../../src/notifiers/types";
import { expectLeaksNoSecret, expectStatusTable, formatRequest } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, type Vector, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const NOW = Date.parse("2026-01-15T10:20:30Z");
const vectors = loadVectors("grafana");

const context = (v: Vector) => vectorContext(v, { now: NOW });

const request = (ctx: NotifyContext) => formatRequest(grafana, ctx);

describe("grafana vectors", () => {
  itFormatsVectors(grafana, vectors, { now: NOW });
});

describe("grafana format", () => {
  it("replaces ':' in metadata keys and values, sorts metadata tags between controller and kind", async () => {
    const ctx = context(vectors[1]);
    ctx.event.metadata = { "z:key": "a:b", alpha: "1" };
    const { tags } = JSON.parse((await request(ctx)).body);
    expect(tags).toEqual(["flux", "kustomize-controller", "alpha: 1", "z|key: a|b", "kind: Kustomization", "name: apps", "namespace: flux-system"]);
  });

  it("sends `when` in Unix seconds (the Graphite-format field)", async () => {
    const ctx = context(vectors[0]);
    expect(JSON.parse((await request(ctx)).body).when).toBe(Date.parse("2026-01-15T10:20:30Z") / 1000);
  });
});

describe("grafana auth", () => {
  const info = context(vectors[0]);
  it("prefers the token over a username/password pair", async () => {
    const req = await request({ ...info, settings: { ...info.settings, token: "glsa_abc", username: "admin", password: "pw" } });
    expect(req.headers.Authorization).toBe("Bearer glsa_abc");
  });
  it("sends no Authorization without credentials", async () => {
    const req = await request({ ...info, settings: { ...info.settings, token: "" } });
    expect(req.headers).toEqual({ "Content-Type": "application/json" });
  });
  it("uses URL credentials as Basic when nothing else is configured", async () => {
    const req = await request({ ...info, settings: { ...info.settings, token: "", address: "https://admin:pw@grafana.example.com/api/annotations" } });
    expect(req.url).toBe("https://grafana.example.com/api/annotations");
    expect(req.headers.Authorization).toBe(`Basic ${btoa("admin:pw")}`);
  });
});

describe("grafana settings and responses", () => {
  const base = vectorSettings(vectors[0]);
  it("needs an absolute http(s) address", () => {
    expect(problemMessages(grafana.validate({ ...base, address: "" }))).toEqual([expect.stringMatching(/^no address/)]);
    expect(problemMessages(grafana.validate({ ...base, address: "ftp://grafana/api/annotations" }))).toEqual([expect.stringMatching(/^invalid address/)]);
  });
  it("classifies by the shared table", () => expectStatusTable(grafana));
  it("leaks no secret", async () => {
    const ctx = context(vectors[1]);
    await expectLeaksNoSecret(grafana, { ...ctx, settings: { ...ctx.settings, token: "glsa_secret" } }, ["glsa_secret", ctx.settings.password]);
  });
});
