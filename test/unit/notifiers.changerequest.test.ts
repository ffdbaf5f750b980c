import { describe, expect, it } from "vitest";
import { goJson } from "../../src/lib/gojson";
import { giteaPullRequestComment } from "../../src/notifiers/giteapullrequestcomment";
import { githubPullRequestComment } from "../../src/notifiers/githubpullrequestcomment";
import { gitlabMergeRequestComment } from "../../src/notifiers/gitlabmergerequestcomment";
import { notifierFor } from "../../src/notifiers/registry";
import { FormatError, isSkip, type Notifier, type NotifyContext, type OutboundRequest } from "../../src/notifiers/types";
import { calls, exchange, expectExchangeLeaksNoSecret, fakeSend } from "../support/exchange-kit";
import { expectLeaksNoSecret, expectStatusTable, response } from "../support/notifier-kit";
import { expectVectorRequest, loadVectors, notifiedEvent, vectorSettings, type Vector } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const NOW = Date.parse("2026-01-15T10:20:30Z");
const ME = "flux-bot";

interface Case {
  type: string;
  notifier: Notifier;
  /** The answer to "who am I" naming ME. */
  me: Record<string, unknown>;
  /** A listed comment written by `login`. */
  by(login: string, id: number, body: string): Record<string, unknown>;
  /** The request that edits comment `id` of the vectors' pull request. */
  edit(id: number): string;
  /** What Flux calls the items in its errors. */
  noun: string;
  /** The vector's create request as the Go SDK encodes it (see goCorrections). */
  expectCreate(req: OutboundRequest, v: Vector): void;
}

/**
 * Where the vectors (computed by a Python re-implementation) and the Go SDKs disagree, the Go
 * source wins. go-github encodes with SetEscapeHTML(false) and json.Encoder's trailing newline,
 * so the marker's `<!--` is sent as is; the relay adds a User-Agent (GitHub refuses requests
 * without one, and Workers fetch sets none).
 */
function expectGitHubCreate(req: OutboundRequest, v: Vector): void {
  expect(req.method).toBe(v.expect.method);
  expect(req.url).toBe(v.expect.url);
  expect(req.headers).toEqual({ ...v.expect.headers, "User-Agent": "flux-relay" });
  expect(req.body).toBe(goJson(v.expect.body, { escapeHtml: false, newline: true }));
}

const cases: Case[] = [
  {
    type: "githubpullrequestcomment",
    notifier: githubPullRequestComment,
    me: { login: ME, id: 7 },
    by: (login, id, body) => ({ id, user: { login }, body }),
    edit: (id) => `PATCH https://api.github.com/repos/fluxcd/podinfo/issues/comments/${id}`,
    noun: "pull request comment",
    expectCreate: expectGitHubCreate,
  },
  {
    type: "gitlabmergerequestcomment",
    notifier: gitlabMergeRequestComment,
    me: { username: ME, id: 7 },
    by: (username, id, body) => ({ id, author: { username }, body }),
    edit: (id) => `PUT https://gitlab.example.com/api/v4/projects/platform%2Fapps%2Fpodinfo/merge_requests/42/notes/${id}`,
    noun: "merge request note",
    expectCreate: expectVectorRequest,
  },
  {
    type: "giteapullrequestcomment",
    notifier: giteaPullRequestComment,
    me: { login: ME, id: 7 },
    by: (login, id, body) => ({ id, user: { login }, body }),
    edit: (id) => `PATCH https://gitea.example.com/api/v1/repos/fluxcd/podinfo/issues/comments/${id}`,
    noun: "pull request comment",
    expectCreate: expectVectorRequest,
  },
];

function context(v: Vector, cluster?: string): NotifyContext {
  return { event: notifiedEvent(v), settings: vectorSettings(v), cluster, now: NOW };
}

async function create(notifier: Notifier, ctx: NotifyContext): Promise<OutboundRequest> {
  const req = await notifier.format(ctx);
  if (isSkip(req)) throw new Error(`unexpected skip: ${req.skip}`);
  return req;
}

/**
 * The vector's preflight calls as Go makes them. The Gitea SDK's `GET /api/v1/version` probe is
 * left out (it only picks SDK code paths these calls do not use), and its comment list carries
 * ListIssueCommentOptions{Page: 1, PageSize: 100} as `?limit=100&page=1`, which the vector omits.
 */
function preflight(v: Vector): string[] {
  return (v.preflight as { method: string; url: string }[])
    .filter((p) => !p.url.endsWith("/api/v1/version"))
    .map((p) => `${p.method} ${v.provider.type === "giteapullrequestcomment" && p.url.endsWith("/comments") ? `${p.url}?limit=100&page=1` : p.url}`);
}

/** A host that knows ME and serves `comments` as the first page. */
function host(c: Case, comments: Record<string, unknown>[] = []) {
  return fakeSend(c.notifier, (req) => okFor(c, req, comments));
}

function okFor(c: Case, req: OutboundRequest, comments: Record<string, unknown>[] = []) {
  if (req.url.endsWith("/user")) return response(200, JSON.stringify(c.me));
  if (req.method === "GET") return response(200, JSON.stringify(comments));
  return response(req.method === "POST" ? 201 : 200, "{}");
}

describe.each(cases)("$type", (c) => {
  const vectors = loadVectors(c.type);

  it("is registered", () => expect(notifierFor(c.notifier.type)).toBe(c.notifier));

  for (const v of vectors) {
    it(`${v.name}: formats the first-time comment byte for byte`, async () => {
      const ctx = context(v);
      expect(problemMessages(c.notifier.validate(ctx.settings))).toEqual([]);
      c.expectCreate(await create(c.notifier, ctx), v);
    });

    it(`${v.name}: learns its identity, lists the comments and creates one`, async () => {
      const ctx = context(v);
      const send = host(c);
      expect(await exchange(c.notifier, ctx, send)).toEqual({ outcome: "delivered" });
      expect(calls(send)).toEqual([...preflight(v), `${v.expect.method} ${v.expect.url}`]);
      expect(send.requests.at(-1)).toEqual(await create(c.notifier, ctx));
    });
  }

  it("edits the first comment of its own that carries the marker, with the same body", async () => {
    const ctx = context(vectors[1]);
    const body = (await create(c.notifier, ctx)).body;
    const marker = (JSON.parse(body) as { body: string }).body.split("\n")[0];
    const send = host(c, [
      c.by("someone-else", 1, `${marker}\n\ncopied`),
      c.by(ME, 2, "an unrelated comment"),
      c.by(ME, 3, `${marker}\n\nold status`),
      c.by(ME, 4, `${marker}\n\na later duplicate`),
    ]);
    expect(await exchange(c.notifier, ctx, send)).toEqual({ outcome: "delivered" });
    expect(calls(send).at(-1)).toBe(c.edit(3));
    expect(send.requests.at(-1)!.body).toBe(body);
    expect(send.requests).toHaveLength(3);
  });

  it("never creates two comments when a retry follows a create whose answer was lost", async () => {
    const ctx = context(vectors[0]);
    const stored: Record<string, unknown>[] = [];
    let posts = 0;
    const send = fakeSend(c.notifier, (req) => {
      if (req.url.endsWith("/user")) return response(200, JSON.stringify(c.me));
      if (req.method === "GET") return response(200, JSON.stringify(stored));
      if (req.method === "POST") {
        posts++;
        stored.push(c.by(ME, 99, (JSON.parse(req.body) as { body: string }).body));
        return response(502, "bad gateway");
      }
      return response(200, "{}");
    });
    expect(await exchange(c.notifier, ctx, send)).toMatchObject({ outcome: "retry", reason: `failed to create ${c.noun}: HTTP 502: bad gateway` });
    expect(await exchange(c.notifier, ctx, send)).toEqual({ outcome: "delivered" });
    expect(posts).toBe(1);
    expect(calls(send).at(-1)).toBe(c.edit(99));
  });

  it("names the failing step in Flux's words and keeps the step's classification", async () => {
    const ctx = context(vectors[0]);
    const failAt = (pattern: RegExp, status: number, headers: Record<string, string> = {}) =>
      fakeSend(c.notifier, (req) => (pattern.test(`${req.method} ${req.url}`) ? response(status, "nope", headers) : okFor(c, req)));
    expect(await exchange(c.notifier, ctx, failAt(/\/user$/, 401))).toEqual({ outcome: "permanent", reason: "failed to get authenticated user info: HTTP 401: nope" });
    expect(await exchange(c.notifier, ctx, failAt(/^GET .*(comments|notes)\?/, 503, { "Retry-After": "7" }))).toEqual({
      outcome: "retry",
      reason: `failed to list ${c.noun}s: HTTP 503: nope`,
      retryAfterMs: 7000,
    });
    expect(await exchange(c.notifier, ctx, failAt(/^POST /, 422))).toEqual({ outcome: "permanent", reason: `failed to create ${c.noun}: HTTP 422: nope` });
  });

  it("refuses an identity answer without a user, rather than adding a comment on every event", async () => {
    const send = fakeSend(c.notifier, (req) => (req.url.endsWith("/user") ? response(200, "{}") : response(200, "[]")));
    expect(await exchange(c.notifier, context(vectors[0]), send)).toEqual({
      outcome: "permanent",
      reason: "failed to get authenticated user info: the answer names no user",
    });
    expect(send.requests).toHaveLength(1);
  });

  it("refuses a comment list that is not a JSON list", async () => {
    const send = fakeSend(c.notifier, (req) => (req.url.endsWith("/user") ? response(200, JSON.stringify(c.me)) : response(200, "<html>")));
    expect(await exchange(c.notifier, context(vectors[0]), send)).toEqual({
      outcome: "permanent",
      reason: `failed to list ${c.noun}s: the answer is not a JSON list`,
    });
  });

  it("asks for the whole comment page, beyond the transport's default read", async () => {
    const send = host(c);
    await exchange(c.notifier, context(vectors[0]), send);
    expect(send.requests[1].readLimit).toBeGreaterThanOrEqual(1024 * 1024);
  });

  it("classifies by the shared table", () => expectStatusTable(c.notifier));

  it("leaks no secret", async () => {
    const ctx = context(vectors[0]);
    await expectLeaksNoSecret(c.notifier, ctx, [ctx.settings.token]);
    await expectExchangeLeaksNoSecret(c.notifier, ctx, [ctx.settings.token]);
  });
});

describe("change_request metadata", () => {
  const v = loadVectors("githubpullrequestcomment")[0];
  const withChangeRequest = (value: string | undefined): NotifyContext => {
    const ctx = context(v);
    if (value === undefined) delete ctx.event.metadata.change_request;
    else ctx.event.metadata.change_request = value;
    return ctx;
  };

  it("is read as Go's strconv reads a base-10 integer", async () => {
    expect((await create(githubPullRequestComment, withChangeRequest("+042"))).url).toBe("https://api.github.com/repos/fluxcd/podinfo/issues/42/comments");
  });

  it("is refused with Flux's errors when missing, malformed or out of range", async () => {
    await expect(async () => githubPullRequestComment.format(withChangeRequest(undefined))).rejects.toThrow(new FormatError('missing "change_request" metadata key'));
    await expect(async () => githubPullRequestComment.format(withChangeRequest("42a"))).rejects.toThrow(
      'invalid "change_request" metadata value "42a": strconv.Atoi: parsing "42a": invalid syntax',
    );
    const gitlab = { ...context(loadVectors("gitlabmergerequestcomment")[0]) };
    gitlab.event.metadata.change_request = "9223372036854775808";
    await expect(async () => gitlabMergeRequestComment.format(gitlab)).rejects.toThrow(
      'invalid "change_request" metadata value "9223372036854775808": strconv.ParseInt: parsing "9223372036854775808": value out of range',
    );
  });

  it("is left out of the metadata list, which may then be empty", async () => {
    const ctx = withChangeRequest("42");
    ctx.event.metadata = { change_request: "42" };
    const { body } = JSON.parse((await create(githubPullRequestComment, ctx)).body) as { body: string };
    expect(body.endsWith("Reconciliation finished in 1.2s, next run in 10m0s\n\nMetadata:\n")).toBe(true);
  });
});

describe("comment marker", () => {
  const v = loadVectors("gitlabmergerequestcomment")[0];

  it("names the cluster when the Provider manifest has no uid", async () => {
    const ctx = context(v, "prod-eu-1");
    ctx.settings = { ...ctx.settings, uid: "" };
    const { body } = JSON.parse((await create(gitlabMergeRequestComment, ctx)).body) as { body: string };
    expect(body.split("\n")[0]).toBe("<!-- flux-mr-comment-key:prod-eu-1/Kustomization/flux-system/apps -->");
  });

  it("is refused without a uid or a cluster, as Flux refuses a Provider without a uid", async () => {
    const ctx = context(v);
    ctx.settings = { ...ctx.settings, uid: "" };
    await expect(async () => gitlabMergeRequestComment.format(ctx)).rejects.toThrow(/^provider UID cannot be empty/);
  });
});

describe("settings", () => {
  it("needs a token and a repository address", () => {
    const s = vectorSettings(loadVectors("giteapullrequestcomment")[0]);
    expect(problemMessages(giteaPullRequestComment.validate({ ...s, token: "" }))).toEqual([expect.stringMatching(/^gitea token cannot be empty/)]);
    expect(problemMessages(githubPullRequestComment.validate({ ...s, type: "githubpullrequestcomment", address: "https://github.com/fluxcd" }))).toEqual([
      expect.stringMatching(/^invalid repository id/),
    ]);
  });

  it("falls back to the Secret's password for the token, as Flux does", async () => {
    const v = loadVectors("gitlabmergerequestcomment")[0];
    const ctx = context(v);
    ctx.settings = { ...ctx.settings, token: "", password: "glpat-from-password" };
    expect((await create(gitlabMergeRequestComment, ctx)).headers["PRIVATE-TOKEN"]).toBe("glpat-from-password");
  });

  it("paces GitHub comments at the content-creation limit", () => {
    expect(githubPullRequestComment.paceMs?.(vectorSettings(loadVectors("githubpullrequestcomment")[0]))).toBe(750);
  });
});
