import { describe, expect, it } from "vitest";
import { githubDispatch } from "../../src/notifiers/githubdispatch";
import type { NotifyContext } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { expectGitHubVectorRequest, itFormatsVectors, loadVectors, type Vector, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const NOW = Date.parse("2026-01-15T10:20:30Z");
const vectors = loadVectors("githubdispatch");

const context = (v: Vector) => vectorContext(v, { now: NOW });

const request = (ctx: NotifyContext) => formatRequest(githubDispatch, ctx);

describe("githubdispatch vectors", () => {
  itFormatsVectors(githubDispatch, vectors, { now: NOW, compare: expectGitHubVectorRequest });
});

describe("githubdispatch addresses", () => {
  const ctx = context(vectors[0]);
  const url = async (address: string) => (await request({ ...ctx, settings: { ...ctx.settings, address } })).url;
  it("accepts ssh and scp-like remotes of github.com", async () => {
    expect(await url("ssh://git@github.com/fluxcd/podinfo.git")).toBe("https://api.github.com/repos/fluxcd/podinfo/dispatches");
    expect(await url("git@github.com:fluxcd/podinfo.git")).toBe("https://api.github.com/repos/fluxcd/podinfo/dispatches");
  });
  it("uses /api/v3/ on GitHub Enterprise Server, but not on api.* hosts", async () => {
    expect(await url("https://ghe.example.com/org/repo")).toBe("https://ghe.example.com/api/v3/repos/org/repo/dispatches");
    expect(await url("ssh://git@ghe.example.com:2222/org/repo.git")).toBe("https://ghe.example.com/api/v3/repos/org/repo/dispatches");
    expect(await url("https://api.acme.ghe.com/org/repo")).toBe("https://api.acme.ghe.com/repos/org/repo/dispatches");
  });
  it("keeps the Kind's case in event_type and ends the body with a newline", async () => {
    const req = await request(ctx);
    expect(JSON.parse(req.body).event_type).toBe("Kustomization/apps.flux-system");
    expect(req.body.endsWith("}}\n")).toBe(true);
  });
});

describe("githubdispatch settings", () => {
  const base = vectorSettings(vectors[0]);
  it("needs owner/repo exactly", () => {
    expect(problemMessages(githubDispatch.validate({ ...base, address: "https://github.com/fluxcd" }))).toEqual([expect.stringMatching(/^invalid repository id/)]);
    expect(problemMessages(githubDispatch.validate({ ...base, address: "https://github.com/a/b/c" }))).toEqual([expect.stringMatching(/^invalid repository id/)]);
    expect(problemMessages(githubDispatch.validate({ ...base, address: "" }))).toEqual([expect.stringMatching(/^no address/)]);
  });
  it("needs a token, falling back to the password as Flux does", async () => {
    expect(problemMessages(githubDispatch.validate({ ...base, token: "" }))).toEqual([expect.stringMatching(/^github token or github app details must be specified: set the token key/)]);
    const settings = { ...base, token: "", username: "git", password: "ghp_from_password" };
    expect(problemMessages(githubDispatch.validate(settings))).toEqual([]);
    const req = await request({ ...context(vectors[0]), settings });
    expect(req.headers.Authorization).toBe("Bearer ghp_from_password");
  });
  it("reports a GitHub App key that is not PEM", () => {
    const settings = { ...base, token: "", secret: { githubAppID: "1", githubAppInstallationID: "2", githubAppPrivateKey: "pem" } };
    expect(problemMessages(githubDispatch.validate(settings))).toEqual([expect.stringMatching(/^could not parse private key/)]);
  });
  it("paces at GitHub's 80 content-generating requests per minute", () => {
    expect(githubDispatch.paceMs?.(base)).toBe(750);
  });
});

describe("githubdispatch responses", () => {
  it("classifies by the shared table (204 is GitHub's success)", () => expectStatusTable(githubDispatch));
  it("retries a primary rate limit (403, remaining 0) at the reset time", () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    const c = classifyWith(githubDispatch, response(403, '{"message":"API rate limit exceeded"}', { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) }));
    expect(c.outcome).toBe("retry");
    expect(c.outcome === "retry" && c.retryAfterMs).toBeGreaterThan(100_000);
  });
  it("retries a secondary rate limit after Retry-After, or a minute without it", () => {
    expect(classifyWith(githubDispatch, response(403, "", { "retry-after": "30" }))).toMatchObject({ outcome: "retry", retryAfterMs: 30_000 });
    const body = '{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}';
    expect(classifyWith(githubDispatch, response(403, body))).toMatchObject({ outcome: "retry", retryAfterMs: 60_000 });
  });
  it("keeps other 403s permanent (missing permission)", () => {
    expect(classifyWith(githubDispatch, response(403, '{"message":"Resource not accessible by personal access token"}')).outcome).toBe("permanent");
  });
  it("leaks no secret", async () => {
    const ctx = context(vectors[1]);
    await expectLeaksNoSecret(githubDispatch, ctx, [ctx.settings.token]);
  });
});
