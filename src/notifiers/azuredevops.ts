import { goJson } from "../lib/gojson";
import { basicAuth } from "./kit/http-auth";
import { collectProblems } from "./kit/validate";
import { FormatError, type FormatResult, type Notifier, type NotifyContext, type ProviderSettings } from "./types";
import { goPathEscape, parseGitAddress, type GitAddress } from "./git/address";
import { prepareCommitStatus, rememberStatus } from "./git/status";

/**
 * `azuredevops`: `POST <org>/<project>/_apis/git/repositories/<repo>/commits/<sha>/statuses` as
 * azure-devops-go-api v6 sends it: the api-version travels in `Accept` (negotiated to 6.0 for
 * this resource), not in the query string.
 */
export const azureDevOps: Notifier = {
  type: "azuredevops",
  validate: (s) => collectProblems(() => azureDevOpsAuthorization(s), () => azureDevOpsRepository(s)),
  format: formatAzureDevOps,
  // Azure DevOps answers a rejected PAT with a 203 sign-in page wherever the redirect suppression
  // does not apply; that must not count as sent.
  classify: (res) => (res.status === 203 ? { outcome: "permanent", reason: "HTTP 203: Azure DevOps answered with a sign-in page (PAT rejected)" } : undefined),
};

const GENRE = "fluxcd";

function formatAzureDevOps(ctx: NotifyContext): FormatResult {
  const authorization = azureDevOpsAuthorization(ctx.settings);
  const repo = azureDevOpsRepository(ctx.settings);
  const status = prepareCommitStatus(ctx, { info: "succeeded", error: "error", unknown: "can't convert to azure devops state" });
  if ("skip" in status) return status;
  const metadata = ctx.event.metadata;
  const genre = Object.hasOwn(metadata, "summary") ? `${GENRE}:${metadata.summary}` : GENRE;
  return {
    method: "POST",
    url: `${repo}/commits/${status.sha}/statuses`,
    headers: {
      Authorization: authorization,
      Accept: "application/json;api-version=6.0",
      "Content-Type": "application/json;charset=utf-8",
      "X-TFS-FedAuthRedirect": "Suppress",
    },
    body: goJson({ context: { genre, name: status.id }, description: status.description, state: status.state }),
    remember: rememberStatus(repo, status.sha, `${genre}/${status.id}`, status.state, status.description),
  };
}

/**
 * `<collection>/<project>/_apis/git/repositories/<repo>` from a clone URL:
 * `https://dev.azure.com/<org>/<project>/_git/<repo>` (Flux's form: four segments, the third
 * ignored), `https://<org>.visualstudio.com/<project>/_git/<repo>`, an Azure DevOps Server
 * collection path before `<project>/_git/<repo>`, or the ssh form `git@ssh.dev.azure.com:v3/<org>/<project>/<repo>`.
 */
export function azureDevOpsRepository(settings: ProviderSettings): string {
  const [base, project, repo] = locate(parseGitAddress(settings.address));
  return `${base}/${goPathEscape(project)}/_apis/git/repositories/${goPathEscape(repo)}`;
}

/** [collection URL, project, repository] */
function locate({ origin, host, segments: s }: GitAddress): [string, string, string] {
  const n = s.length;
  if (host === "ssh.dev.azure.com" && n === 4 && s[0] === "v3") return [`https://dev.azure.com/${goPathEscape(s[1])}`, s[2], s[3]];
  if (host === "vs-ssh.visualstudio.com" && n === 4 && s[0] === "v3" && /^[A-Za-z0-9-]+$/.test(s[1])) {
    return [`https://${s[1].toLowerCase()}.visualstudio.com`, s[2], s[3]];
  }
  if (n >= 3 && s[n - 2] === "_git") return [[origin, ...s.slice(0, n - 3).map(goPathEscape)].join("/"), s[n - 3], s[n - 1]];
  if (n === 4) return [`${origin}/${goPathEscape(s[0])}`, s[1], s[3]];
  throw new FormatError("invalid repository id: the address must be https://dev.azure.com/<org>/<project>/_git/<repo>");
}

/** A PAT as Basic `:<PAT>`. Flux's workload-identity fallback needs Kubernetes, so a token is required. */
export function azureDevOpsAuthorization(settings: ProviderSettings): string {
  if (!settings.token) {
    throw new FormatError("azure devops token cannot be empty: set the token key (a PAT) in the Secret referenced by spec.secretRef; workload identity is not available to the relay");
  }
  return basicAuth("", settings.token);
}
