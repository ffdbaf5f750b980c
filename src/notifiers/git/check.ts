import type { ProviderType } from "../../flux/manifests";
import { azureDevOpsAuthorization, azureDevOpsRepository } from "../azuredevops";
import { bitbucketCredentials, bitbucketRepository } from "../bitbucket";
import { bitbucketServerAuthorization, bitbucketServerRepository } from "../bitbucketserver";
import { giteaRepository, giteaToken } from "../gitea";
import { gitHubAuth, gitHubAuthorized, gitHubRepository } from "../github";
import { gitLabProject, gitLabToken } from "../gitlab";
import type { OutboundRequest, ProviderSettings } from "../types";

const get = (url: string, headers: Record<string, string>): OutboundRequest => ({ method: "GET", url, headers, body: "" });

/**
 * Read-only requests that prove a commit-status or pull-request-comment provider's token can see
 * its repository (`GET` of the repository or project resource). A test send of these types runs
 * this instead of posting, since a test event names no commit and no pull request. Throws a
 * FormatError when the settings cannot form the request.
 */
const checks: Partial<Record<ProviderType, (s: ProviderSettings) => OutboundRequest>> = {
  github: (s) => {
    const { headers, gitHubApp } = gitHubAuthorized(gitHubAuth(s));
    return { ...get(gitHubRepository(s), headers), ...(gitHubApp ? { gitHubApp } : {}) };
  },
  gitlab: (s) => get(gitLabProject(s), { "PRIVATE-TOKEN": gitLabToken(s), Accept: "application/json" }),
  gitea: (s) => get(giteaRepository(s), { Authorization: `token ${giteaToken(s)}`, Accept: "application/json" }),
  bitbucket: (s) => get(bitbucketRepository(s), { Authorization: bitbucketCredentials(s), Accept: "application/json" }),
  bitbucketserver: (s) =>
    get(bitbucketServerRepository(s).commits.replace(/\/commits$/, ""), { Authorization: bitbucketServerAuthorization(s), Accept: "application/json" }),
  azuredevops: (s) =>
    get(`${azureDevOpsRepository(s)}?api-version=6.0`, { Authorization: azureDevOpsAuthorization(s), Accept: "application/json", "X-TFS-FedAuthRedirect": "Suppress" }),
};
checks.githubpullrequestcomment = checks.github;
checks.gitlabmergerequestcomment = checks.gitlab;
checks.giteapullrequestcomment = checks.gitea;

/** The repository check of a type, or undefined for types that take a real test event. */
export function credentialCheck(type: ProviderType): ((s: ProviderSettings) => OutboundRequest) | undefined {
  return checks[type];
}
