import { describe, expect, it } from "vitest";
import { azureDevOps } from "../../src/notifiers/azuredevops";
import { bitbucket } from "../../src/notifiers/bitbucket";
import { bitbucketServer } from "../../src/notifiers/bitbucketserver";
import { gitea } from "../../src/notifiers/gitea";
import { commitStatusId } from "../../src/notifiers/git/commit-status-id";
import { github } from "../../src/notifiers/github";
import { gitlab } from "../../src/notifiers/gitlab";
import { notifierFor } from "../../src/notifiers/registry";
import { isSkip, type Notifier, type OutboundRequest } from "../../src/notifiers/types";
import { expectGitHubVectorRequest, expectVectorRequest, loadVectors, vectorContext, type Vector } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const NOW = Date.parse("2026-01-15T10:20:30Z");

const context = (v: Vector) => vectorContext(v, { now: NOW });

/**
 * Where the vectors (computed by a Python re-implementation) and the Go SDKs disagree, the Go
 * source wins; each override names the SDK code it follows.
 */
const goCorrections: Record<string, (req: OutboundRequest, v: Vector) => void> = {
  // Not an SDK difference: GitHub needs a User-Agent, which the vectors leave out.
  github: expectGitHubVectorRequest,
  // go-bitbucket json.Marshal's CommitStatusOptions{Key, Url, State, Name, Description}: struct
  // order, not the vector's sorted keys. Same members and values.
  bitbucket(req, v) {
    expect(req.method).toBe(v.expect.method);
    expect(req.url).toBe(v.expect.url);
    expect(req.headers).toEqual(v.expect.headers);
    expect(JSON.parse(req.body)).toEqual(v.expect.body);
    expect(Object.keys(JSON.parse(req.body))).toEqual(["key", "url", "state", "name", "description"]);
  },
  // azure-devops-go-api v6 Client.Send: no query string; `Accept: application/json;api-version=6.0`,
  // `Content-Type: application/json;charset=utf-8`, `X-TFS-FedAuthRedirect: Suppress` (PAT connection).
  azuredevops(req, v) {
    expect(req.method).toBe(v.expect.method);
    expect(req.url).toBe(v.expect.url.replace(/\?api-version=.*$/, ""));
    expect(req.headers).toEqual({
      ...v.expect.headers,
      "Content-Type": "application/json;charset=utf-8",
      Accept: "application/json;api-version=6.0",
      "X-TFS-FedAuthRedirect": "Suppress",
    });
    expect(req.body).toBe(JSON.stringify(v.expect.body));
  },
};

const cases: [string, Notifier][] = [
  ["github", github],
  ["gitlab", gitlab],
  ["gitea", gitea],
  ["bitbucket", bitbucket],
  ["bitbucketserver", bitbucketServer],
  ["azuredevops", azureDevOps],
];

describe.each(cases)("%s vectors", (type, notifier) => {
  it("is registered", () => expect(notifierFor(notifier.type)).toBe(notifier));

  for (const v of loadVectors(type)) {
    it(v.name, async () => {
      const ctx = context(v);
      expect(problemMessages(notifier.validate(ctx.settings))).toEqual([]);
      const result = await notifier.format(ctx);
      if ((v.expect as { noRequest?: boolean }).noRequest) {
        expect(isSkip(result)).toBe(true);
        return;
      }
      if (isSkip(result)) throw new Error(`unexpected skip: ${result.skip}`);
      (goCorrections[type] ?? expectVectorRequest)(result, v);
      if (v.commitStatusId) expect(commitStatusId(ctx)).toBe(v.commitStatusId);
    });
  }
});

describe("remember replaces the preflight list-and-skip", () => {
  it("github: key is repository@sha#context, state is state+description", async () => {
    const v = loadVectors("github")[0];
    const req = (await github.format(context(v))) as OutboundRequest;
    expect(req.remember).toEqual({
      key: "https://api.github.com/repos/fluxcd/podinfo@5394cb7f48332b2de7c17dd8b8384bbc84b7e738#kustomization/apps/0c9c2e41",
      state: "success+reconciliation succeeded",
    });
  });

  it.each(cases)("%s: same event -> same entry; other severity -> same key, other state", async (type, notifier) => {
    const v = loadVectors(type)[0];
    const first = (await notifier.format(context(v))) as OutboundRequest;
    const again = (await notifier.format(context(v))) as OutboundRequest;
    const ctx = context(v);
    const failed = (await notifier.format({ ...ctx, event: { ...ctx.event, severity: "error" } })) as OutboundRequest;
    expect(again.remember).toEqual(first.remember);
    expect(failed.remember?.key).toBe(first.remember?.key);
    expect(failed.remember?.state).not.toBe(first.remember?.state);
    expect(first.remember?.key).toContain(ctx.event.metadata.revision.split(":")[1]);
  });

  it("bitbucketserver: the status name (which carries the description) is part of the state", async () => {
    const req = (await bitbucketServer.format(context(loadVectors("bitbucketserver")[0]))) as OutboundRequest;
    expect(req.remember?.state).toBe("SUCCESSFUL+reconciliation succeeded+kustomization/apps [reconciliation succeeded]");
  });
});
