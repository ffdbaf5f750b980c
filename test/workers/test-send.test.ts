import { describe, expect, inject, it } from "vitest";
import type { ProviderType } from "../../src/flux/manifests";
import { implementedTypes } from "../../src/notifiers/registry";
import { CaptureBox } from "../support/capture-client";
import type { CapturedRequest } from "../support/capture-server";
import { admin, captureBox, putProvider } from "../support/workers";

const MARK = "flux-relay test notification";
/** A Secret binding of the test config (vitest.config.ts): `{"token": "relay-out-key"}`. */
const TOKEN_SECRET = { secretRef: { name: "hmac-token" } };
const UID = "6f1c2a3b-0000-4000-8000-000000000001";

interface TestOutcome {
  outcome: string;
  status: number | null;
  latencyMs: number;
  error: string | null;
}

/** Where a type's request lands on the capture server, and how to tell it apart from other tests'. */
interface SentCase {
  spec: (box: CaptureBox, unique: string) => Record<string, unknown>;
  /**
   * Types that keep only the scheme and host of the address (or put the API path before the
   * repository) send outside any box: their requests are picked from the shared default box.
   */
  pick?: (req: CapturedRequest, unique: string) => boolean;
  /** How the request shows it is a test, when not by the test event's message. */
  marked?: (req: CapturedRequest, name: string) => void;
  check?: (req: CapturedRequest) => void;
}

const address = (box: CaptureBox) => ({ address: box.url });
const hostOnly = (box: CaptureBox) => new URL(box.url).origin;

const SENT: Partial<Record<ProviderType, SentCase>> = {
  generic: { spec: address, check: (r) => expect(r.headers["gotk-component"]).toBe("flux-relay") },
  "generic-hmac": { spec: (b) => ({ ...address(b), ...TOKEN_SECRET }), check: (r) => expect(r.headers["x-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/) },
  slack: { spec: address },
  msteams: { spec: address },
  discord: { spec: address, check: (r) => expect(r.path).toMatch(/\/slack$/) },
  googlechat: { spec: address },
  rocket: { spec: address },
  matrix: { spec: (b) => ({ ...address(b), channel: "!room:example.org", ...TOKEN_SECRET }), check: (r) => expect(r.method).toBe("PUT") },
  lark: { spec: address },
  webex: { spec: (b) => ({ ...address(b), channel: "room-1", ...TOKEN_SECRET }) },
  opsgenie: { spec: (b) => ({ ...address(b), ...TOKEN_SECRET }), check: (r) => expect(r.headers.authorization).toBe("GenieKey relay-out-key") },
  alertmanager: { spec: address, check: (r) => expect(JSON.parse(r.body)[0].annotations.summary).toBe(MARK) },
  // A Grafana annotation shows the object and tags, never the message.
  grafana: { spec: address, marked: (r) => expect(JSON.parse(r.body).tags).toContain(`summary: ${MARK}`) },
  sentry: { spec: (b) => ({ address: b.url.replace("://", "://public-key@") + "/42" }), check: (r) => expect(r.path).toMatch(/\/api\/42\/envelope\/$/) },
  githubdispatch: {
    spec: (b, unique) => ({ address: `${hostOnly(b)}/test-send/${unique}`, ...TOKEN_SECRET }),
    pick: (r, unique) => r.path === `/api/v3/repos/test-send/${unique}/dispatches`,
  },
  datadog: {
    spec: (b) => ({ address: hostOnly(b), ...TOKEN_SECRET }),
    pick: (r, unique) => r.path === "/api/v1/events" && JSON.parse(r.body).tags.includes(`kube_name:${unique}`),
  },
  pagerduty: {
    spec: (b, unique) => ({ address: hostOnly(b), channel: unique }),
    pick: (r, unique) => r.path === "/v2/enqueue" && JSON.parse(r.body).routing_key === unique,
    // An info event is a resolve carrying only the routing and dedup keys.
    marked: (r, name) => expect(JSON.parse(r.body)).toEqual({ routing_key: name, event_action: "resolve", dedup_key: "flux-relay-test" }),
  },
  zulip: {
    spec: (b) => ({ address: hostOnly(b), channel: "flux/deployments" }),
    pick: (r, unique) => r.path === "/api/v1/messages" && (new URLSearchParams(r.body).get("content") ?? "").includes(`flux-system/${unique}`),
    marked: (r, name) => expect(new URLSearchParams(r.body).get("content")).toContain(`${MARK} for provider flux-system/${name}`),
  },
  zoom: { spec: (b) => ({ ...address(b), ...TOKEN_SECRET }), check: (r) => expect(r.headers.authorization).toBe("relay-out-key") },
  "incident.io": { spec: (b) => ({ ...address(b), ...TOKEN_SECRET }), check: (r) => expect(r.headers.authorization).toBe("Bearer relay-out-key") },
};

/**
 * Commit-status and pull/merge request comment types: a test send checks the token and the
 * repository with one read-only GET (a test event names no commit and no pull request). The
 * capture server plays the forge; `path` is where each type's check lands.
 */
const REPOSITORY_CHECK: Partial<Record<ProviderType, { address: (box: CaptureBox, name: string) => string; path: (box: CaptureBox, name: string) => string }>> = {
  github: { address: (b, n) => `${hostOnly(b)}/${n}/repo`, path: (_, n) => `/api/v3/repos/${n}/repo` },
  gitlab: { address: (b) => `${b.url}/group/project`, path: (b) => `/api/v4/projects/box%2F${b.id}%2Fgroup%2Fproject` },
  gitea: { address: (b, n) => `${hostOnly(b)}/${n}/repo`, path: (_, n) => `/api/v1/repos/${n}/repo` },
  bitbucketserver: { address: (b) => `${b.url}/scm/PRJ/repo.git`, path: (b) => `/box/${b.id}/rest/api/latest/projects/PRJ/repos/repo` },
  azuredevops: { address: (b) => `${b.url}/org/project/_git/repo`, path: (b) => `/box/${b.id}/org/project/_apis/git/repositories/repo?api-version=6.0` },
  githubpullrequestcomment: { address: (b, n) => `${hostOnly(b)}/${n}/repo`, path: (_, n) => `/api/v3/repos/${n}/repo` },
  gitlabmergerequestcomment: { address: (b) => `${b.url}/group/project`, path: (b) => `/api/v4/projects/box%2F${b.id}%2Fgroup%2Fproject` },
  giteapullrequestcomment: { address: (b, n) => `${hostOnly(b)}/${n}/repo`, path: (_, n) => `/api/v1/repos/${n}/repo` },
};

/** Types whose destination host is fixed by the type, so no capture server can stand in for it. */
const NOT_HTTP_ADDRESSABLE: Partial<Record<ProviderType, string>> = {
  telegram: "always api.telegram.org",
  bitbucket: "always api.bitbucket.org",
  azureeventhub: "always https://<namespace>.servicebus.windows.net",
  googlepubsub: "always pubsub.googleapis.com",
  nats: "a NATS server, not HTTP (test/e2e/nats.test.ts publishes through a real one)",
};

/** Types that build their request from the Alert that routed the event, which a test send lacks. */
const NEEDS_ALERT: Partial<Record<ProviderType, (box: CaptureBox) => string>> = {
  otel: (b) => `${b.url}/v1/traces`,
};

async function testSend(name: string): Promise<TestOutcome> {
  const res = await admin(`/providers/flux-system/${name}/test`, { method: "POST" });
  expect(res.status).toBe(200);
  return (await res.json()) as TestOutcome;
}

describe("POST /api/v1/providers/:ns/:name/test for every type", () => {
  it("covers every implemented type", () => {
    const covered = [...Object.keys(SENT), ...Object.keys(REPOSITORY_CHECK), ...Object.keys(NEEDS_ALERT), ...Object.keys(NOT_HTTP_ADDRESSABLE)].sort();
    expect(covered).toEqual([...implementedTypes()].sort());
  });

  it.each(Object.keys(SENT) as ProviderType[])("%s: sends a marked test event through the real path", async (type) => {
    const { spec, pick, marked, check } = SENT[type]!;
    const box = captureBox();
    const name = `test-${type}`;
    await putProvider(name, { type, ...spec(box, name) }, { metadata: { uid: UID } });
    const outcome = await testSend(name);
    expect(outcome).toEqual({ outcome: "delivered", status: 200, latencyMs: expect.any(Number), error: null });
    const requests = pick ? (await new CaptureBox(inject("captureUrl"), "_default").requests()).filter((r) => pick(r, name)) : await box.requests();
    expect(requests).toHaveLength(1);
    const [req] = requests;
    if (marked) marked(req, name);
    else expect(req.body).toContain(`${MARK} for provider flux-system/${name}`);
    check?.(req);
  });

  it.each(Object.keys(REPOSITORY_CHECK) as ProviderType[])("%s: checks the token and repository with one read-only GET", async (type) => {
    const box = captureBox();
    const name = `test-${type}`;
    const { address: addressOf, path } = REPOSITORY_CHECK[type]!;
    await putProvider(name, { type, address: addressOf(box, name), ...TOKEN_SECRET }, { metadata: { uid: UID } });
    expect(await testSend(name)).toEqual({ outcome: "checked", status: 200, latencyMs: expect.any(Number), error: null });
    const all = [...(await box.requests()), ...(await new CaptureBox(inject("captureUrl"), "_default").requests())];
    const checks = all.filter((r) => r.path === path(box, name));
    expect(checks).toHaveLength(1);
    expect(checks[0].method).toBe("GET");
    expect(checks[0].headers.authorization ?? checks[0].headers["private-token"]).toBeTruthy();
    const { items } = (await (await admin(`/providers/flux-system/${name}/deliveries`)).json()) as { items: { outcome: string; test: boolean }[] };
    expect(items[0]).toMatchObject({ outcome: "checked", test: true });
    const status = (await (await admin(`/providers/flux-system/${name}`)).json()) as { status: { lastTest: { outcome: string } } };
    expect(status.status.lastTest).toMatchObject({ outcome: "checked" });
  });

  it("reports a repository the token cannot see as failed, naming the forge's answer", async () => {
    const box = captureBox();
    await box.program([{ status: 404, body: '{"errors":[{"message":"Repository PRJ/repo does not exist."}]}' }]);
    await putProvider("test-forge-404", { type: "bitbucketserver", address: `${box.url}/scm/PRJ/repo.git`, ...TOKEN_SECRET });
    const outcome = await testSend("test-forge-404");
    expect(outcome).toMatchObject({ outcome: "failed", status: 404 });
    expect(outcome.error).toMatch(/^repository check failed: HTTP 404: .*does not exist/);
    expect(outcome.error).not.toContain("relay-out-key");
    expect((await box.requests()).map((r) => r.method)).toEqual(["GET"]);
  });

  it.each(Object.keys(NEEDS_ALERT) as ProviderType[])("%s: says that a test event has no Alert to build from", async (type) => {
    const box = captureBox();
    const name = `test-${type}`;
    await putProvider(name, { type, address: NEEDS_ALERT[type]!(box) }, { metadata: { uid: UID } });
    expect(await testSend(name)).toEqual({
      outcome: "failed",
      status: null,
      latencyMs: 0,
      error: expect.stringMatching(/^alert metadata not found in context: .* a test send has none$/),
    });
    expect(await box.requests()).toEqual([]);
  });

  it("records the test send in the delivery history", async () => {
    const box = captureBox();
    await putProvider("test-history", { type: "generic", address: box.url });
    await testSend("test-history");
    const { items } = (await (await admin("/providers/flux-system/test-history/deliveries")).json()) as { items: { outcome: string; status: number; summary: string }[] };
    expect(items).toEqual([expect.objectContaining({ outcome: "delivered", test: true, cluster: "", status: 200, summary: "Provider/flux-system/test-history info TestNotification" })]);
  });

  it("reports a refusing destination as failed with its status", async () => {
    const box = captureBox();
    await box.program([{ status: 404, body: "no such hook" }]);
    await putProvider("test-refused", { type: "slack", address: box.url });
    expect(await testSend("test-refused")).toEqual({ outcome: "failed", status: 404, latencyMs: expect.any(Number), error: "HTTP 404: no such hook" });
  });
});
