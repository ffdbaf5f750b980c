import { describe, expect, it } from "vitest";
import { CaptureBox } from "../support/capture-client";
import type { CapturedRequest } from "../support/capture-server";
import { NAMESPACE, useCapture, useRelay, waitUntil } from "../support/e2e-kit";

const GITHUB_TOKEN = "ghp-e2e-commit-status-token";
const GITLAB_TOKEN = "glpat-e2e-commit-status-token";
const REVISION_SHA = "0123456789abcdef0123456789abcdef01234567";
/** The `event.toolkit.fluxcd.io/commit` annotation wins over the revision (Flux's GetRevision). */
const COMMIT_SHA = "89abcdef0123456789abcdef0123456789abcdef";
const UID = "5b1e7c42-9d0a-4f6e-8c1b-2a3d4e5f6a7b";
const OBJECT = "apps";
/**
 * Flux's commit status id, lower(<kind>/<name>/<first segment of the Provider uid>), plus the
 * sending cluster (events below come from `prod-eu`), so clusters never overwrite each other.
 */
const CONTEXT = `kustomization/${OBJECT}/5b1e7c42/prod-eu`;

interface Delivery {
  outcome: string;
  status: number | null;
  error: string | null;
}

function kustomizationEvent(severity: "info" | "error", reason: string, message: string): Record<string, unknown> {
  return {
    involvedObject: { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: OBJECT, namespace: NAMESPACE, uid: "00000000-0000-0000-0000-0000000000aa" },
    severity,
    reason,
    message,
    metadata: {
      "kustomize.toolkit.fluxcd.io/revision": `main@sha1:${REVISION_SHA}`,
      "event.toolkit.fluxcd.io/commit": COMMIT_SHA,
    },
    reportingController: "kustomize-controller",
    timestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}

/**
 * Stand-ins for a GitHub Enterprise and a self-hosted GitLab: each forge is a capture server of
 * its own, because their API paths start at the host root (`/api/v3`, `/api/v4`) rather than under
 * a box; so each host's requests are its default box, and nothing else in this file sends there.
 */
describe("e2e: commit statuses on self-hosted GitHub and GitLab", () => {
  const githubHost = useCapture();
  const gitlabHost = useCapture();
  const relay = useRelay({
    label: "e2e-commit-status",
    secrets: {
      SECRET__FLUX_SYSTEM__GITHUB_TOKEN: JSON.stringify({ token: GITHUB_TOKEN }),
      SECRET__FLUX_SYSTEM__GITLAB_TOKEN: JSON.stringify({ token: GITLAB_TOKEN }),
    },
  });
  const received = (host: typeof githubHost) => new CaptureBox(host().url, "_default");

  async function provider(name: string, type: "github" | "gitlab", address: string, secret: string): Promise<void> {
    await relay().admin(`/providers/${NAMESPACE}/${name}`, {
      method: "PUT",
      body: {
        apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
        kind: "Provider",
        metadata: { name, namespace: NAMESPACE, uid: UID },
        spec: { type, address, secretRef: { name: secret } },
      },
    });
    await relay().admin(`/alerts/${NAMESPACE}/${name}`, {
      method: "PUT",
      body: {
        apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
        kind: "Alert",
        metadata: { name, namespace: NAMESPACE },
        spec: { providerRef: { name }, eventSources: [{ kind: "Kustomization", name: OBJECT }] },
      },
    });
  }

  const deliveries = async (name: string) => (await relay().admin<{ items: Delivery[] }>(`/providers/${NAMESPACE}/${name}/deliveries`)).items;

  it("posts success then failure to both hosts, and nothing for a repeat of the same state", async () => {
    await provider("ghe", "github", `${githubHost().url}/platform/fleet-infra`, "github-token");
    await provider("gitlab", "gitlab", `${gitlabHost().url}/platform/clusters/fleet-infra`, "gitlab-token");

    const started = Date.now();
    for (const event of [
      kustomizationEvent("info", "ReconciliationSucceeded", `Applied revision: main@sha1:${REVISION_SHA}`),
      kustomizationEvent("error", "HealthCheckFailed", "Health check failed after 2m: Deployment/apps/web not ready"),
    ]) {
      expect((await relay().hook("prod-eu", event)).body).toEqual({ accepted: 2, duplicate: false });
    }
    const [github, gitlab] = await Promise.all([received(githubHost).waitFor(2, 30_000), received(gitlabHost).waitFor(2, 30_000)]);
    const postedMs = Math.max(github[1].at, gitlab[1].at) - started;

    const expectGitHub = (req: CapturedRequest, state: string, description: string) => {
      expect(req.method).toBe("POST");
      expect(req.path).toBe(`/api/v3/repos/platform/fleet-infra/statuses/${COMMIT_SHA}`);
      expect(req.headers).toMatchObject({
        authorization: `Bearer ${GITHUB_TOKEN}`,
        accept: "application/vnd.github.v3+json",
        "x-github-api-version": "2022-11-28",
        "content-type": "application/json",
      });
      expect(JSON.parse(req.body)).toEqual({ state, description, context: CONTEXT });
    };
    expectGitHub(github[0], "success", "reconciliation succeeded");
    expectGitHub(github[1], "failure", "health check failed");

    const expectGitLab = (req: CapturedRequest, state: string, description: string) => {
      expect(req.method).toBe("POST");
      // The whole project path is one escaped segment, as GitLab's client sends it.
      expect(req.path).toBe(`/api/v4/projects/platform%2Fclusters%2Ffleet-infra/statuses/${COMMIT_SHA}`);
      expect(req.headers).toMatchObject({ "private-token": GITLAB_TOKEN, "content-type": "application/json" });
      expect(req.headers).not.toHaveProperty("authorization");
      expect(JSON.parse(req.body)).toEqual({ state, name: CONTEXT, description });
    };
    expectGitLab(gitlab[0], "success", "reconciliation succeeded");
    expectGitLab(gitlab[1], "failed", "health check failed");

    // Same commit, context, state and description; another message, so the dedup window lets it in.
    const repeat = kustomizationEvent("error", "HealthCheckFailed", "Health check failed after 4m: Deployment/apps/web not ready");
    expect((await relay().hook("prod-eu", repeat)).body).toEqual({ accepted: 2, duplicate: false });
    for (const name of ["ghe", "gitlab"]) {
      // History is newest first; a skip is recorded instead of a request, so once it shows no request can follow.
      const items = await waitUntil(`the repeat handled by ${name}`, async () => {
        const got = await deliveries(name);
        return got.length === 3 ? got : undefined;
      }, 30_000);
      expect(items.map((d) => [d.outcome, d.status, d.error])).toEqual([
        ["skipped", null, "identical status already posted"],
        ["delivered", 200, null],
        ["delivered", 200, null],
      ]);
    }
    expect(await received(githubHost).requests()).toHaveLength(2);
    expect(await received(gitlabHost).requests()).toHaveLength(2);
    console.log(`[commit-status] both hosts had both statuses ${postedMs} ms after the first hook`);
  });
});
