import { describe, expect, it } from "vitest";
import { azureDevOps } from "../../src/notifiers/azuredevops";
import { bitbucket } from "../../src/notifiers/bitbucket";
import { bitbucketServer } from "../../src/notifiers/bitbucketserver";
import { gitea } from "../../src/notifiers/gitea";
import { github } from "../../src/notifiers/github";
import { gitlab } from "../../src/notifiers/gitlab";
import { isSkip, type Notifier, type NotifyContext, type OutboundRequest, type ProviderSettings } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { loadVectors, vectorContext } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const SHA = "5394cb7f48332b2de7c17dd8b8384bbc84b7e738";

/** The first vector of a type with settings overridden. */
function ctx(type: string, settings: Partial<ProviderSettings> = {}): NotifyContext {
  return vectorContext(loadVectors(type)[0], { settings });
}

async function request(notifier: Notifier, context: NotifyContext): Promise<OutboundRequest> {
  expect(problemMessages(notifier.validate(context.settings))).toEqual([]);
  return formatRequest(notifier, context);
}

async function urlFor(notifier: Notifier, type: string, address: string): Promise<string> {
  return (await request(notifier, ctx(type, { address }))).url;
}

const all: [string, Notifier][] = [
  ["github", github],
  ["gitlab", gitlab],
  ["gitea", gitea],
  ["bitbucket", bitbucket],
  ["bitbucketserver", bitbucketServer],
  ["azuredevops", azureDevOps],
];

describe.each(all)("%s: common behaviour", (type, notifier) => {
  it("skips Progressing events (Gitea posts pending instead)", async () => {
    const context = ctx(type);
    context.event.reason = "Progressing";
    const result = await notifier.format(context);
    expect(isSkip(result)).toBe(type !== "gitea");
  });

  it("refuses a bad revision and a missing one", async () => {
    const context = ctx(type);
    context.event.metadata = { revision: "main@sha1:abc" };
    await expect(async () => notifier.format(context)).rejects.toThrow("failed to extract commit hash from 'main@sha1:abc' revision");
    context.event.metadata = {};
    await expect(async () => notifier.format(context)).rejects.toThrow("missing revision metadata");
  });

  it("takes the SHA from the commit key first", async () => {
    const context = ctx(type);
    context.event.metadata = { ...context.event.metadata, commit: "8a9156325322a124e55a369b59063470310ebbd8" };
    expect((await request(notifier, context)).url).toContain("8a9156325322a124e55a369b59063470310ebbd8");
  });

  it("refuses trace severity", async () => {
    const context = ctx(type);
    context.event.severity = "trace";
    await expect(async () => notifier.format(context)).rejects.toThrow(/convert to/);
  });

  it("reports an empty address and a missing token as problems", () => {
    const problems = problemMessages(notifier.validate({ ...ctx(type).settings, address: "", token: "", password: "", username: "" }));
    expect(problems).toHaveLength(2);
    expect(problems.join("\n")).toMatch(/address/);
  });

  it("leaks no secret", async () => {
    const context = ctx(type);
    await expectLeaksNoSecret(notifier, context, [context.settings.token, ...context.settings.token.split(":")]);
    const bad = ctx(type);
    bad.event.metadata = { revision: "main" };
    await expectLeaksNoSecret(notifier, bad, [bad.settings.token]);
  });
});

describe("github", () => {
  it.each([
    ["https://github.com/fluxcd/podinfo", "https://api.github.com/repos/fluxcd/podinfo"],
    ["https://github.com/fluxcd/podinfo.git", "https://api.github.com/repos/fluxcd/podinfo"],
    ["ssh://git@github.com/fluxcd/podinfo.git", "https://api.github.com/repos/fluxcd/podinfo"],
    ["git@github.com:fluxcd/podinfo.git", "https://api.github.com/repos/fluxcd/podinfo"],
    ["https://github.example.com/team/app", "https://github.example.com/api/v3/repos/team/app"],
    ["git@github.example.com:team/app.git", "https://github.example.com/api/v3/repos/team/app"],
    ["http://ghe.internal:8080/team/app", "http://ghe.internal:8080/api/v3/repos/team/app"],
    ["https://api.ghe.example.com/team/app", "https://api.ghe.example.com/repos/team/app"],
  ])("%s", async (address, repo) => {
    expect(await urlFor(github, "github", address)).toBe(`${repo}/statuses/${SHA}`);
  });

  it("needs owner/repo", () => {
    expect(problemMessages(github.validate({ ...ctx("github").settings, address: "https://github.com/fluxcd/podinfo/tree/main" }))).toEqual([
      expect.stringMatching(/<owner>\/<repo>, got 4 segment/),
    ]);
  });

  it("falls back to the password as token", async () => {
    const req = await request(github, ctx("github", { token: "", password: "ghp_from_password" }));
    expect(req.headers.Authorization).toBe("Bearer ghp_from_password");
  });

  it("reports incomplete GitHub App settings with Flux's message", () => {
    const problems = problemMessages(github.validate({ ...ctx("github").settings, token: "", secret: { githubAppID: "1", githubAppPrivateKey: "k" } }));
    expect(problems).toEqual([expect.stringMatching(/^app installation owner or ID must be provided to use github app authentication/)]);
  });

  it("does not HTML-escape the body (go-github's encoder)", async () => {
    const context = ctx("github");
    context.settings.manifest.spec.commitStatusExpr = "'a<b>&c'";
    expect((await request(github, context)).body).toBe('{"state":"success","description":"reconciliation succeeded","context":"a<b>&c"}\n');
  });

  it("classifies by the shared table plus rate limits", () => {
    expectStatusTable(github);
    const limited = response(403, "API rate limit exceeded", { "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": String(Math.floor(Date.now() / 1000) + 60) });
    expect(classifyWith(github, limited)).toMatchObject({ outcome: "retry", retryAfterMs: expect.any(Number) });
    expect(classifyWith(github, response(403, "Must have admin rights"))).toMatchObject({ outcome: "permanent" });
  });
});

describe("gitlab", () => {
  it.each([
    ["https://gitlab.com/group/project", "https://gitlab.com/api/v4/projects/group%2Fproject"],
    ["https://gitlab.example.com/platform/apps/podinfo.git", "https://gitlab.example.com/api/v4/projects/platform%2Fapps%2Fpodinfo"],
    ["git@gitlab.example.com:a/b/c/d.git", "https://gitlab.example.com/api/v4/projects/a%2Fb%2Fc%2Fd"],
    ["ssh://git@gitlab.example.com:2222/group/my.repo.git", "https://gitlab.example.com/api/v4/projects/group%2Fmy%2Erepo"],
    ["https://gitlab.example.com/group/my%20repo", "https://gitlab.example.com/api/v4/projects/group%2Fmy%20repo"],
  ])("%s", async (address, project) => {
    expect(await urlFor(gitlab, "gitlab", address)).toBe(`${project}/statuses/${SHA}`);
  });

  it("needs a group and a project", () => {
    expect(problemMessages(gitlab.validate({ ...ctx("gitlab").settings, address: "https://gitlab.com/project" }))).toEqual([expect.stringMatching(/<group>\/<project>/)]);
  });

  it("falls back to the password as token", async () => {
    expect((await request(gitlab, ctx("gitlab", { token: "", password: "glpat-pw" }))).headers["PRIVATE-TOKEN"]).toBe("glpat-pw");
  });

  it("escapes HTML in the body like json.Marshal", async () => {
    const context = ctx("gitlab");
    context.settings.manifest.spec.commitStatusExpr = "'a<b>'";
    expect((await request(gitlab, context)).body).toBe('{"state":"success","name":"a\\u003cb\\u003e","description":"reconciliation succeeded"}');
  });

  it("classifies by the shared table plus rate limits", () => {
    expectStatusTable(gitlab);
    expect(classifyWith(gitlab, response(429, "", { "RateLimit-Reset": String(Math.floor(Date.now() / 1000) + 30) }))).toMatchObject({
      outcome: "retry",
      retryAfterMs: expect.any(Number),
    });
  });
});

describe("gitea", () => {
  it.each([
    ["https://gitea.example.com/fluxcd/podinfo", "https://gitea.example.com/api/v1/repos/fluxcd/podinfo"],
    ["git@codeberg.org:fluxcd/podinfo.git", "https://codeberg.org/api/v1/repos/fluxcd/podinfo"],
    ["http://gitea.internal:3000/o/r.git", "http://gitea.internal:3000/api/v1/repos/o/r"],
  ])("%s", async (address, repo) => {
    expect(await urlFor(gitea, "gitea", address)).toBe(`${repo}/statuses/${SHA}`);
  });

  it("needs owner/repo and a token", () => {
    expect(problemMessages(gitea.validate({ ...ctx("gitea").settings, address: "https://gitea.example.com/a/b/c", token: "" }))).toEqual([
      expect.stringMatching(/gitea token cannot be empty/),
      expect.stringMatching(/<owner>\/<repo>/),
    ]);
  });

  it("classifies by the shared table", () => expectStatusTable(gitea));
});

describe("bitbucket", () => {
  it.each([
    ["https://bitbucket.org/fluxcd/podinfo"],
    ["git@bitbucket.org:fluxcd/podinfo.git"],
    ["https://someone@bitbucket.org/fluxcd/podinfo.git"],
    ["https://bitbucket.example.com/fluxcd/podinfo"],
  ])("%s always goes to api.bitbucket.org", async (address) => {
    expect(await urlFor(bitbucket, "bitbucket", address)).toBe(`https://api.bitbucket.org/2.0/repositories/fluxcd/podinfo/commit/${SHA}/statuses/build`);
  });

  it.each(["user", "user:pass:word", ":"])("refuses token %j with Go's message", (token) => {
    const problems = problemMessages(bitbucket.validate({ ...ctx("bitbucket").settings, token }));
    expect(problems).toEqual(token === ":" ? [] : ["invalid token format, expected to be <user>:<password>"]);
  });

  it("classifies by the shared table", () => expectStatusTable(bitbucket));
});

describe("bitbucketserver", () => {
  it.each([
    ["https://bitbucket.example.com:7990/context/scm/PROJ/podinfo.git", "https://bitbucket.example.com:7990/context/rest/api/latest/projects/PROJ/repos/podinfo"],
    ["https://bitbucket.example.com/scm/PROJ/podinfo.git", "https://bitbucket.example.com/rest/api/latest/projects/PROJ/repos/podinfo"],
    ["https://bitbucket.example.com/a/scm/b/scm/PROJ/podinfo.git", "https://bitbucket.example.com/a/scm/b/rest/api/latest/projects/PROJ/repos/podinfo"],
    ["https://bitbucket.example.com/projects/PROJ/repos/podinfo/browse", "https://bitbucket.example.com/rest/api/latest/projects/PROJ/repos/podinfo"],
    ["https://bitbucket.example.com/bb/projects/PROJ/repos/podinfo", "https://bitbucket.example.com/bb/rest/api/latest/projects/PROJ/repos/podinfo"],
    ["http://bitbucket.internal:7990/scm/~jdoe/podinfo.git", "http://bitbucket.internal:7990/rest/api/latest/projects/~jdoe/repos/podinfo"],
  ])("%s", async (address, repo) => {
    expect(await urlFor(bitbucketServer, "bitbucketserver", address)).toBe(`${repo}/commits/${SHA}/builds`);
  });

  it.each([
    ["ssh://git@bitbucket.example.com:7999/proj/podinfo.git", /Must be http or https/],
    ["https://bitbucket.example.com/PROJ/podinfo.git", /not http\(s\) git clone url/],
    ["https://bitbucket.example.com/scm/PROJ/sub/podinfo.git", /invalid repository id/],
  ])("refuses %s", (address, problem) => {
    expect(problemMessages(bitbucketServer.validate({ ...ctx("bitbucketserver").settings, address }))).toEqual([expect.stringMatching(problem)]);
  });

  it("uses Basic auth from username/password when there is no token", async () => {
    const req = await request(bitbucketServer, ctx("bitbucketserver", { token: "", username: "jdoe", password: "pw" }));
    expect(req.headers.Authorization).toBe(`Basic ${btoa("jdoe:pw")}`);
  });

  it("needs a token or both username and password", () => {
    expect(problemMessages(bitbucketServer.validate({ ...ctx("bitbucketserver").settings, token: "", username: "jdoe", password: "" }))).toEqual([
      "invalid credentials, expected to be one of username/password or API Token",
    ]);
  });

  it("links the status to the address, without credentials it might carry", async () => {
    const address = "https://jdoe:s3cret@bitbucket.example.com/scm/PROJ/podinfo.git";
    const req = await request(bitbucketServer, ctx("bitbucketserver", { address }));
    expect(JSON.parse(req.body).url).toBe("https://bitbucket.example.com/scm/PROJ/podinfo.git");
    expect(req.url).not.toContain("s3cret");
    await expectLeaksNoSecret(bitbucketServer, ctx("bitbucketserver", { address }), ["s3cret", "bbs-token"]);
  });

  it("omits an empty description as Go's omitempty does", async () => {
    const context = ctx("bitbucketserver");
    context.event.reason = "";
    const body = (await request(bitbucketServer, context)).body;
    expect(body).toBe(`{"key":"534add2e1e94c46fbe0f8e657ba36c652fa8d2dd","name":"kustomization/apps []","state":"SUCCESSFUL","url":"https://bitbucket.example.com:7990/context/scm/PROJ/podinfo.git"}\n`);
  });

  it("counts 3xx as delivered (Flux: status <= 399 is success)", () => {
    expectStatusTable(bitbucketServer, { 301: "delivered" });
    expect(classifyWith(bitbucketServer, response(399)).outcome).toBe("delivered");
  });
});

describe("azuredevops", () => {
  it.each([
    ["https://dev.azure.com/myorg/myproject/_git/podinfo", "https://dev.azure.com/myorg/myproject/_apis/git/repositories/podinfo"],
    ["https://myorg@dev.azure.com/myorg/myproject/_git/podinfo", "https://dev.azure.com/myorg/myproject/_apis/git/repositories/podinfo"],
    ["https://dev.azure.com/myorg/My%20Project/_git/my%20repo", "https://dev.azure.com/myorg/My%20Project/_apis/git/repositories/my%20repo"],
    ["https://myorg.visualstudio.com/myproject/_git/podinfo", "https://myorg.visualstudio.com/myproject/_apis/git/repositories/podinfo"],
    ["https://myorg.visualstudio.com/DefaultCollection/myproject/_git/podinfo", "https://myorg.visualstudio.com/DefaultCollection/myproject/_apis/git/repositories/podinfo"],
    ["https://tfs.example.com/tfs/Coll/proj/_git/repo", "https://tfs.example.com/tfs/Coll/proj/_apis/git/repositories/repo"],
    ["git@ssh.dev.azure.com:v3/myorg/myproject/podinfo", "https://dev.azure.com/myorg/myproject/_apis/git/repositories/podinfo"],
    ["myorg@vs-ssh.visualstudio.com:v3/myorg/myproject/podinfo", "https://myorg.visualstudio.com/myproject/_apis/git/repositories/podinfo"],
  ])("%s", async (address, repo) => {
    expect(await urlFor(azureDevOps, "azuredevops", address)).toBe(`${repo}/commits/${SHA}/statuses`);
  });

  it.each(["https://dev.azure.com/myorg/myproject", "https://dev.azure.com/myorg/myproject/podinfo"])("refuses %s", (address) => {
    expect(problemMessages(azureDevOps.validate({ ...ctx("azuredevops").settings, address }))).toEqual([expect.stringMatching(/invalid repository id/)]);
  });

  it("needs a PAT (workload identity is not available)", () => {
    expect(problemMessages(azureDevOps.validate({ ...ctx("azuredevops").settings, token: "" }))).toEqual([expect.stringMatching(/token cannot be empty.*workload identity/)]);
  });

  it("puts the summary metadata into the genre", async () => {
    const context = ctx("azuredevops");
    context.event.metadata = { ...context.event.metadata, summary: "prod cluster" };
    const req = await request(azureDevOps, context);
    expect(JSON.parse(req.body).context).toEqual({ genre: "fluxcd:prod cluster", name: "kustomization/apps/0c9c2e41" });
    expect(req.remember?.key).toContain("#fluxcd:prod cluster/kustomization/apps/0c9c2e41");
  });

  it("treats a 203 sign-in page as a permanent failure", () => {
    expectStatusTable(azureDevOps);
    expect(classifyWith(azureDevOps, response(203, "<html>sign in</html>"))).toMatchObject({ outcome: "permanent" });
  });
});
