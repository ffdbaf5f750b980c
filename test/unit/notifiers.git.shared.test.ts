import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/flux/manifests";
import { goPathEscape, parseGitAddress } from "../../src/notifiers/git/address";
import { commitStatusId } from "../../src/notifiers/git/commit-status-id";
import { goJson } from "../../src/lib/gojson";
import { classifyRateLimit, sha1Hex } from "../../src/notifiers/git/http";
import { basicAuth } from "../../src/notifiers/kit/http-auth";
import { commitSha } from "../../src/notifiers/git/revision";
import { describeReason, prepareCommitStatus, splitCamelcase } from "../../src/notifiers/git/status";
import { FormatError, type NotifyContext } from "../../src/notifiers/types";
import { response } from "../support/notifier-kit";
import { loadVectors, notifiedEvent, vectorSettings } from "../support/vectors";

const SHA = "5394cb7f48332b2de7c17dd8b8384bbc84b7e738";

describe("parseGitAddress", () => {
  it.each([
    ["https://github.com/fluxcd/podinfo", "https://github.com", ["fluxcd", "podinfo"]],
    ["https://github.com/fluxcd/podinfo.git", "https://github.com", ["fluxcd", "podinfo"]],
    ["https://github.com/fluxcd/podinfo/", "https://github.com", ["fluxcd", "podinfo"]],
    ["https://token:x-oauth@github.com/fluxcd/podinfo", "https://github.com", ["fluxcd", "podinfo"]],
    ["http://git.internal:8080/team/app", "http://git.internal:8080", ["team", "app"]],
    ["ssh://git@github.com/fluxcd/podinfo.git", "https://github.com", ["fluxcd", "podinfo"]],
    ["ssh://git@gitlab.example.com:2222/group/sub/repo.git", "https://gitlab.example.com", ["group", "sub", "repo"]],
    ["git@github.com:fluxcd/podinfo.git", "https://github.com", ["fluxcd", "podinfo"]],
    ["git@gitlab.example.com:platform/apps/podinfo.git", "https://gitlab.example.com", ["platform", "apps", "podinfo"]],
    ["https://dev.azure.com/org/My%20Project/_git/repo", "https://dev.azure.com", ["org", "My Project", "_git", "repo"]],
  ])("%s", (address, origin, segments) => {
    expect(parseGitAddress(address)).toMatchObject({ origin, segments });
  });

  it.each([
    ["", /no address/],
    ["github.com/fluxcd/podinfo", /not a repository URL|scheme/],
    ["ftp://example.com/a/b", /scheme must be https, http or ssh/],
    ["https://github.com/a//b", /empty segment/],
    ["https://github.com/a/%zz", /malformed percent-escape/],
  ])("refuses %j without repeating it", (address, message) => {
    let error: unknown;
    try {
      parseGitAddress(address);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toMatch(message);
    if (address) expect((error as Error).message).not.toContain(address);
  });

  it("goPathEscape escapes like Go's url.PathEscape", () => {
    expect(goPathEscape("group/sub repo")).toBe("group%2Fsub%20repo");
    expect(goPathEscape("a$&+:=@~._-b")).toBe("a$&+:=@~._-b");
    expect(goPathEscape("ä?#;,")).toBe("%C3%A4%3F%23%3B%2C");
  });
});

describe("commitSha (Event.GetRevision + fluxcd/pkg/git)", () => {
  it.each([
    [{ revision: `main@sha1:${SHA}` }, SHA],
    [{ revision: `feature/x@sha1:${SHA}` }, SHA],
    [{ revision: `sha1:${SHA}` }, SHA],
    [{ revision: `main/${SHA}` }, SHA],
    [{ revision: `HEAD/${SHA}` }, SHA],
    [{ revision: SHA }, SHA],
    [{ revision: SHA.toUpperCase() }, SHA.toUpperCase()],
  ])("%j -> sha", (metadata, sha) => expect(commitSha(metadata)).toBe(sha));

  it("prefers commit, then originRevision, then revision", () => {
    const other = "8a9156325322a124e55a369b59063470310ebbd8";
    expect(commitSha({ revision: `main@sha1:${other}`, originRevision: `sha1:${other}`, commit: SHA })).toBe(SHA);
    expect(commitSha({ revision: `main@sha1:${other}`, originRevision: `main@sha1:${SHA}` })).toBe(SHA);
  });

  it("a present but empty key wins and fails, as Go's map lookup", () => {
    expect(() => commitSha({ commit: "", revision: `main@sha1:${SHA}` })).toThrow("failed to extract commit hash from '' revision");
  });

  it.each([
    "main@sha1:abc123",
    `sha256:${"a".repeat(64)}`,
    `main@sha1:${"z".repeat(40)}`,
    `main@sha1:${SHA}/x`,
    "latest@sha256:" + "b".repeat(64),
  ])("refuses %s", (revision) => {
    expect(() => commitSha({ revision })).toThrow(new FormatError(`failed to extract commit hash from '${revision}' revision`));
  });

  it("missing revision metadata", () => {
    expect(() => commitSha({ summary: "x" })).toThrow(new FormatError("missing revision metadata"));
  });
});

describe("describeReason (splitCamelcase)", () => {
  it.each([
    ["ReconciliationSucceeded", "reconciliation succeeded"],
    ["HealthCheckFailed", "health check failed"],
    ["PDFLoader", "pdf loader"],
    ["Progressing", "progressing"],
    ["ArtifactUpToDate", "artifact up to date"],
    ["V2Upgrade", "v 2 upgrade"],
    ["already lower", "already   lower"],
    ["", ""],
  ])("%j -> %j", (reason, description) => expect(describeReason(reason)).toBe(description));

  it("does not split ill-formed text", () => expect(splitCamelcase("Bad\ud800Reason")).toEqual(["Bad\ud800Reason"]));
});

function ctxWith(overrides: { uid?: string; cluster?: string; expr?: string; metadata?: Record<string, string>; alertName?: string } = {}): NotifyContext {
  const v = loadVectors("github")[0];
  const settings = vectorSettings(v);
  const uid = overrides.uid ?? settings.uid;
  const manifest = parseManifest("Provider", {
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Provider",
    metadata: { name: "my-provider", namespace: "flux-system", ...(uid ? { uid } : {}) },
    spec: { type: "github", address: settings.address, ...(overrides.expr !== undefined ? { commitStatusExpr: overrides.expr } : {}) },
  });
  const event = notifiedEvent(v);
  if (overrides.metadata) event.metadata = overrides.metadata;
  const alert = overrides.alertName
    ? parseManifest("Alert", {
        apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
        kind: "Alert",
        metadata: { name: overrides.alertName, namespace: "flux-system" },
        spec: { providerRef: { name: "my-provider" }, eventSources: [{ kind: "Kustomization", name: "*" }] },
      })
    : undefined;
  return { event, settings: { ...settings, uid, manifest }, alert, cluster: overrides.cluster, now: 0 };
}

describe("commitStatusId", () => {
  it("defaults to lower(kind/name/<first uid segment>)", () => {
    expect(commitStatusId(ctxWith())).toBe("kustomization/apps/0c9c2e41");
  });

  it("without a uid, uses the cluster name so clusters do not overwrite each other", () => {
    expect(commitStatusId(ctxWith({ uid: "", cluster: "Prod-EU" }))).toBe("kustomization/apps/prod-eu");
    expect(commitStatusId(ctxWith({ uid: "", cluster: "staging" }))).not.toBe(commitStatusId(ctxWith({ uid: "", cluster: "prod" })));
  });

  it("with a uid and a cluster, appends the cluster: two clusters sharing a Provider never overwrite each other", () => {
    expect(commitStatusId(ctxWith({ cluster: "prod" }))).toBe("kustomization/apps/0c9c2e41/prod");
    expect(commitStatusId(ctxWith({ cluster: "staging" }))).not.toBe(commitStatusId(ctxWith({ cluster: "prod" })));
  });

  it("throws when there is neither a uid nor a cluster", () => {
    expect(() => commitStatusId(ctxWith({ uid: "" }))).toThrow(FormatError);
    expect(() => commitStatusId(ctxWith({ uid: "" }))).toThrow(/metadata.uid/);
  });

  it("an empty expression means no expression (Go's string zero value)", () => {
    expect(commitStatusId(ctxWith({ expr: "" }))).toBe("kustomization/apps/0c9c2e41");
  });

  describe("spec.commitStatusExpr", () => {
    const documented =
      "(event.involvedObject.kind + '/' + event.involvedObject.name + '/' + event.metadata.foo + '/' + provider.metadata.uid.split('-').first().value()).lowerAscii()";

    it("evaluates the documented example", () => {
      const ctx = ctxWith({ expr: documented, metadata: { foo: "Bar", revision: `main@sha1:${SHA}` } });
      expect(commitStatusId(ctx)).toBe("kustomization/apps/bar/0c9c2e41");
    });

    it("sees event, provider and alert as Flux's tests do", () => {
      const expr = "event.involvedObject.kind + '/' + event.metadata.environment + '/' + provider.metadata.uid + '/' + alert.metadata.name";
      const ctx = ctxWith({ expr, metadata: { environment: "production" }, alertName: "test-alert" });
      expect(commitStatusId(ctx)).toBe("Kustomization/production/0c9c2e41-5d6e-4f70-8a9b-c0d1e2f3a4b5/test-alert");
    });

    it("the event is the serialised transformed event: empty metadata is absent", () => {
      const ctx = ctxWith({ expr: "has(event.metadata) ? 'with' : 'without'", metadata: {} });
      expect(commitStatusId(ctx)).toBe("without");
      expect(commitStatusId(ctxWith({ expr: "event.reportingController + '/' + event.timestamp" }))).toBe("kustomize-controller/2026-01-15T10:20:30Z");
    });

    it("the registered helpers: last(), replace(), optional orValue()", () => {
      expect(commitStatusId(ctxWith({ expr: "provider.metadata.uid.split('-').last().value()" }))).toBe("c0d1e2f3a4b5");
      expect(commitStatusId(ctxWith({ expr: "event.involvedObject.apiVersion.replace('/', '-')" }))).toBe("kustomize.toolkit.fluxcd.io-v1");
      expect(commitStatusId(ctxWith({ expr: "event.?metadata.env.orValue('default')" + " + ''" }))).toBe("default");
    });

    it("integers are CEL ints, as in Go's unstructured maps", () => {
      const ctx = ctxWith({ expr: "string(provider.metadata.generation)" });
      ctx.settings.manifest.metadata.generation = 3;
      expect(commitStatusId(ctx)).toBe("3");
    });

    it.each([
      ["event.involvedObject.kind == 'Kustomization'", "failed to compile expression: CEL expression output type mismatch: expected string, got bool"],
      ["event.involvedObject.kind", "failed to compile expression: CEL expression output type mismatch: expected string, got dyn"],
      ["event.involvedObject.kind + ", "failed to compile expression: failed to parse the CEL expression 'event.involvedObject.kind + ': "],
      ["event.involvedObject.kind + '/' + event.metadata.notfound", "failed to evaluate the CEL expression 'event.involvedObject.kind + '/' + event.metadata.notfound': No such key: notfound"],
      ["'a' + provider.metadata.uid.split('-')[9]", "failed to evaluate the CEL expression ''a' + provider.metadata.uid.split('-')[9]': "],
      ["'a' + [].first().value()", "failed to evaluate the CEL expression ''a' + [].first().value()': Optional value is not present"],
      ["'' + alert.metadata.name", "failed to evaluate the CEL expression ''' + alert.metadata.name': No such key: metadata"],
    ])("%s -> FormatError", (expr, detail) => {
      const run = () => commitStatusId(ctxWith({ expr }));
      expect(run).toThrow(FormatError);
      expect(run).toThrow(`failed to evaluate the spec.commitStatusExpr CEL expression for the event: ${detail}`);
    });

    it("an expression evaluating to '' is refused like Go's notifier constructors", () => {
      expect(() => commitStatusId(ctxWith({ expr: "''" }))).toThrow(new FormatError("commit status cannot be empty"));
    });

    it("a broken expression fails even Progressing events (the id is computed before the notifier)", () => {
      const ctx = ctxWith({ expr: "event.metadata.nope + ''" });
      ctx.event.reason = "Progressing";
      expect(() => prepareCommitStatus(ctx, { info: "success", error: "failure", unknown: "x" })).toThrow(FormatError);
    });
  });
});

describe("prepareCommitStatus", () => {
  const states = { info: "success", error: "failure", unknown: "can't convert to github state" } as const;

  it("skips Progressing before reading the revision", () => {
    const ctx = ctxWith({ metadata: {} });
    ctx.event.reason = "Progressing";
    expect(prepareCommitStatus(ctx, states)).toEqual({ skip: expect.stringMatching(/Progressing/) });
  });

  it("Gitea-style mapping posts Progressing with its state regardless of severity", () => {
    const ctx = ctxWith();
    ctx.event.reason = "Progressing";
    ctx.event.severity = "trace";
    expect(prepareCommitStatus(ctx, { ...states, progressing: "pending" })).toMatchObject({ state: "pending", description: "progressing" });
  });

  it("any severity but info/error is refused with Go's text", () => {
    const ctx = ctxWith();
    ctx.event.severity = "trace";
    expect(() => prepareCommitStatus(ctx, states)).toThrow(new FormatError("can't convert to github state"));
  });
});

describe("http helpers", () => {
  // Go 1.22 (golang/go CL 521675) writes \b and \f as short escapes, no longer \u0008/\u000c;
  // notification-controller requires Go 1.22 or later.
  it("goJson: HTML escaping on or off, U+2028 always, \\b/\\f as Go >= 1.22 writes them, newline", () => {
    const value = { a: "<x> & \u2028 \b\f\n \\b \u0001" };
    expect(goJson(value)).toBe('{"a":"\\u003cx\\u003e \\u0026 \\u2028 \\b\\f\\n \\\\b \\u0001"}');
    expect(goJson(value, { escapeHtml: false, newline: true })).toBe('{"a":"<x> & \\u2028 \\b\\f\\n \\\\b \\u0001"}\n');
  });

  it("basicAuth encodes UTF-8", () => {
    expect(basicAuth("", "ado-pat")).toBe("Basic OmFkby1wYXQ=");
    expect(basicAuth("jö", "p")).toBe(`Basic ${Buffer.from("jö:p").toString("base64")}`);
  });

  it("sha1Hex matches the vectors' Bitbucket key", async () => {
    expect(await sha1Hex("kustomization/apps/0c9c2e41")).toBe("534add2e1e94c46fbe0f8e657ba36c652fa8d2dd");
  });
});

describe("classifyRateLimit", () => {
  const now = Date.parse("2026-01-15T10:00:00Z");
  const epoch = (ms: number) => String(Math.floor(ms / 1000));

  it("GitHub primary limit: 403 with remaining 0 retries at X-RateLimit-Reset", () => {
    const res = response(403, "API rate limit exceeded", { "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": epoch(now + 120_000) });
    expect(classifyRateLimit(res, now)).toEqual({ outcome: "retry", reason: expect.stringMatching(/^rate limited: HTTP 403/), retryAfterMs: 120_000 });
  });

  it("GitHub secondary limit: Retry-After wins", () => {
    const res = response(403, "You have exceeded a secondary rate limit", { "Retry-After": "30", "X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": epoch(now + 3_600_000) });
    expect(classifyRateLimit(res, now)).toMatchObject({ outcome: "retry", retryAfterMs: 30_000 });
  });

  it("GitHub secondary limit without Retry-After waits a minute", () => {
    const res = response(403, '{"message":"You have exceeded a secondary rate limit"}', { "X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": epoch(now + 3_600_000) });
    expect(classifyRateLimit(res, now)).toMatchObject({ outcome: "retry", retryAfterMs: 60_000 });
  });

  it("a plain 403 stays permanent even though GitHub sends X-RateLimit-Reset on every response", () => {
    const res = response(403, "Resource not accessible by personal access token", { "X-RateLimit-Remaining": "4990", "X-RateLimit-Reset": epoch(now + 3_600_000) });
    expect(classifyRateLimit(res, now)).toBeUndefined();
  });

  it("GitLab 429 retries at RateLimit-Reset (epoch seconds)", () => {
    const res = response(429, "Retry later", { "RateLimit-Remaining": "0", "RateLimit-Reset": epoch(now + 45_000) });
    expect(classifyRateLimit(res, now)).toMatchObject({ outcome: "retry", retryAfterMs: 45_000 });
  });

  it("a delta-seconds RateLimit-Reset is read as a delay; a past reset means now", () => {
    expect(classifyRateLimit(response(429, "", { "RateLimit-Reset": "12" }), now)).toMatchObject({ retryAfterMs: 12_000 });
    expect(classifyRateLimit(response(429, "", { "X-RateLimit-Reset": epoch(now - 5_000) }), now)).toMatchObject({ retryAfterMs: 0 });
  });

  it("other statuses are left to the shared classifier", () => {
    for (const status of [200, 401, 404, 422, 500]) expect(classifyRateLimit(response(status, "rate limit"), now)).toBeUndefined();
  });
});
