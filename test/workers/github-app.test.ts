import { inject } from "vitest";
import { beforeEach, describe, expect, it } from "vitest";
import { parseFluxEvent } from "../../src/flux/event";
import { parseManifest } from "../../src/flux/manifests";
import { github } from "../../src/notifiers/github";
import { githubPullRequestComment } from "../../src/notifiers/githubpullrequestcomment";
import { runExchange, sendRequest } from "../../src/notifiers/transport";
import { isSkip, type ExchangeNotifier, type NotifyContext, type ProviderSettings } from "../../src/notifiers/types";
import { CaptureBox } from "../support/capture-client";
import { admin, clearConfig, json, putProvider, SHA } from "../support/workers";

const captureUrl = inject("captureUrl");
const origin = new URL(captureUrl).origin;
let uniq = 0;

/** A fresh RSA key pair, the private key as the PKCS#8 PEM a GitHub App key converts to. */
async function appKey(): Promise<{ pem: string; publicKey: CryptoKey }> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const der = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const b64 = btoa(String.fromCharCode(...der)).replace(/(.{64})/g, "$1\n");
  return { pem: `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`, publicKey: pair.publicKey };
}

/** The fake GitHub's check: the JWT is RS256 over header.claims, signed by the App's key, issued by the App. */
async function expectAppJwt(authorization: string, publicKey: CryptoKey, appId: string): Promise<void> {
  const [header, claims, signature] = authorization.replace(/^Bearer /, "").split(".");
  const decode = (part: string) => Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (part.length % 4)) % 4)), (c) => c.charCodeAt(0));
  expect(JSON.parse(new TextDecoder().decode(decode(header)))).toEqual({ alg: "RS256", typ: "JWT" });
  const body = JSON.parse(new TextDecoder().decode(decode(claims)));
  expect(body.iss).toBe(appId);
  expect(body.exp - body.iat).toBe(120);
  expect(Math.abs(body.iat + 30 - Date.now() / 1000)).toBeLessThan(60);
  expect(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", publicKey, decode(signature), new TextEncoder().encode(`${header}.${claims}`))).toBe(true);
}

function context(address: string, secret: Record<string, string>, event: Record<string, unknown> = {}): NotifyContext {
  const manifest = parseManifest("Provider", {
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Provider",
    metadata: { name: "app", namespace: "flux-system", uid: "3f1c0f7e-0000-4000-8000-000000000001" },
    spec: { type: "github", address },
  });
  const settings: ProviderSettings = {
    type: "github", namespace: "flux-system", name: "app", uid: "3f1c0f7e-0000-4000-8000-000000000001",
    address, channel: "", username: "", password: "", token: "", headers: {}, proxy: "", timeoutMs: 10_000, secret, manifest,
  };
  const fluxEvent = parseFluxEvent(JSON.stringify({
    involvedObject: { kind: "Kustomization", namespace: "flux-system", name: "apps", uid: "u-1" },
    severity: "info", reason: "ReconciliationSucceeded", message: "done", reportingController: "kustomize-controller",
    timestamp: "2026-01-15T10:20:30Z", metadata: { revision: `main@sha1:${SHA}` }, ...event,
  }));
  return { event: fluxEvent, settings, now: Date.now() };
}

const defaultBox = () => new CaptureBox(captureUrl, "_default");

describe("GitHub App authentication against a fake GitHub", () => {
  it("signs a JWT, exchanges it for an installation token, posts the status with it, and reuses the token", async () => {
    const { pem, publicKey } = await appKey();
    const api = new CaptureBox(captureUrl);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    await api.program([{ status: 201, body: JSON.stringify({ token: "ghs_installation_token_1", expires_at: expiresAt }) }]);
    const repo = `app-owner-${++uniq}-${crypto.randomUUID().slice(0, 8)}`;
    const secret = { githubAppID: "1234", githubAppInstallationID: "5678", githubAppPrivateKey: pem, githubAppBaseURL: api.url };
    const ctx = context(`${origin}/${repo}/repo`, secret);
    expect(github.validate(ctx.settings)).toEqual([]);

    for (const description of ["first", "second"]) {
      const req = await github.format({ ...ctx, event: { ...ctx.event, message: description } });
      if (isSkip(req)) throw new Error("skipped");
      const outcome = await sendRequest(github, req, 10_000, [pem]);
      expect(outcome.classification).toEqual({ outcome: "delivered" });
    }

    const minted = await api.requests();
    expect(minted).toHaveLength(1);
    expect(minted[0]).toMatchObject({ method: "POST", path: `/box/${api.id}/app/installations/5678/access_tokens`, body: "" });
    await expectAppJwt(minted[0].headers.authorization, publicKey, "1234");
    const statuses = (await defaultBox().requests()).filter((r) => r.path === `/api/v3/repos/${repo}/repo/statuses/${SHA}`);
    expect(statuses).toHaveLength(2);
    for (const s of statuses) expect(s.headers.authorization).toBe("Bearer ghs_installation_token_1");
  });

  it("mints a new token when the cached one is about to expire, and finds the installation of an owner", async () => {
    const { pem, publicKey } = await appKey();
    const api = new CaptureBox(captureUrl);
    const soon = new Date(Date.now() + 2 * 60_000).toISOString();
    await api.program([
      { status: 404, body: '{"message":"Not Found"}', times: 1 },
      { status: 200, body: '{"id":777}', times: 1 },
      { status: 201, body: JSON.stringify({ token: "ghs_short_lived", expires_at: soon }), times: 1 },
      { status: 200, body: '{"id":777}', times: 1 },
      { status: 201, body: JSON.stringify({ token: "ghs_fresh", expires_at: soon }) },
    ]);
    const repo = `app-owner-${++uniq}-${crypto.randomUUID().slice(0, 8)}`;
    const ctx = context(`${origin}/${repo}/repo`, { githubAppID: "99", githubAppInstallationOwner: "my-org", githubAppPrivateKey: pem, githubAppBaseURL: api.url });
    for (let i = 0; i < 2; i++) {
      const req = await github.format({ ...ctx, event: { ...ctx.event, message: `m${i}` } });
      if (isSkip(req)) throw new Error("skipped");
      expect((await sendRequest(github, req, 10_000, [pem])).classification).toEqual({ outcome: "delivered" });
    }
    const calls = (await api.requests()).map((r) => `${r.method} ${r.path.replace(`/box/${api.id}`, "")}`);
    expect(calls).toEqual([
      "GET /orgs/my-org/installation",
      "GET /users/my-org/installation",
      "POST /app/installations/777/access_tokens",
      "GET /orgs/my-org/installation",
      "POST /app/installations/777/access_tokens",
    ]);
    await expectAppJwt((await api.requests())[0].headers.authorization, publicKey, "99");
    const statuses = (await defaultBox().requests()).filter((r) => r.path.startsWith(`/api/v3/repos/${repo}/`));
    expect(statuses.map((s) => s.headers.authorization)).toEqual(["Bearer ghs_short_lived", "Bearer ghs_fresh"]);
  });

  it("finds its own PR comment as <slug>[bot], reading the slug with the App's JWT", async () => {
    const { pem, publicKey } = await appKey();
    const api = new CaptureBox(captureUrl);
    const marker = "<!-- flux-pr-comment-key: ";
    await api.program([
      { status: 200, body: '{"slug":"flux-notifier"}', times: 1 },
      { status: 201, body: JSON.stringify({ token: "ghs_pr_token", expires_at: new Date(Date.now() + 3_600_000).toISOString() }) },
    ]);
    const repo = `app-pr-${++uniq}-${crypto.randomUUID().slice(0, 8)}`;
    const base = context(`${origin}/${repo}/repo`, { githubAppID: "7", githubAppInstallationID: "8", githubAppPrivateKey: pem, githubAppBaseURL: api.url }, { metadata: { change_request: "12" } });
    const ctx = { ...base, settings: { ...base.settings, type: "githubpullrequestcomment" as const } };
    const created = await githubPullRequestComment.format(ctx);
    if (isSkip(created)) throw new Error("skipped");
    // The listing has someone else's comment with the marker and one by the App: the App's is edited.
    const listUrl = `/api/v3/repos/${repo}/repo/issues/12/comments`;
    const existing = JSON.stringify([
      { id: 1, user: { login: "someone" }, body: `${marker}x -->` },
      { id: 2, user: { login: "flux-notifier[bot]" }, body: created.body.slice(9, created.body.indexOf("\\n")) },
    ]);
    const shared = defaultBox();
    await shared.program([{ status: 200, body: existing, times: 1 }, { status: 200, body: "{}" }]);
    const outcome = await runExchange(githubPullRequestComment as ExchangeNotifier, ctx, 10_000, [pem]);
    await shared.program([]);
    expect(outcome.classification).toEqual({ outcome: "delivered" });
    const [app] = await api.requests();
    expect(app).toMatchObject({ method: "GET", path: `/box/${api.id}/app` });
    await expectAppJwt(app.headers.authorization, publicKey, "7");
    const calls = (await shared.requests()).filter((r) => r.path.startsWith(`/api/v3/repos/${repo}/`));
    expect(calls.map((r) => `${r.method} ${r.path.split("?")[0]} ${r.headers.authorization}`)).toEqual([
      `GET ${listUrl} Bearer ghs_pr_token`,
      `PATCH /api/v3/repos/${repo}/repo/issues/comments/2 Bearer ghs_pr_token`,
    ]);
  });
});

describe("GitHub App settings in status", () => {
  beforeEach(clearConfig);

  it("reports a private key that is not an RSA key as not Ready, naming the key", async () => {
    await putProvider("app-bad-key", { type: "github", address: "https://github.com/owner/repo", secretRef: { name: "github-app-bad-key" } });
    const body = await json(await admin("/providers/flux-system/app-bad-key"));
    const ready = body.status.conditions.find((c: { type: string }) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "ValidationFailed" });
    expect(ready.message).toContain("could not parse private key");
    expect(ready.message).toContain("githubAppPrivateKey");
    expect(JSON.stringify(body)).not.toContain("bm90LWEta2V5");
  });
});
