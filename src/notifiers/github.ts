import { goJson } from "../lib/gojson";
import { collectProblems } from "./kit/validate";
import { FormatError, type FormatResult, type Notifier, type NotifyContext, type ProviderSettings } from "./types";
import { goPathEscape, ownerAndRepo, parseGitAddress } from "./git/address";
import { classifyRateLimit } from "./git/http";
import { prepareCommitStatus, rememberStatus } from "./git/status";
import { tokenOrPassword } from "./kit/http-auth";
import { gitHubApp, type GitHubAppAuth } from "./git/github-app";

/** `github`: `POST /repos/<owner>/<repo>/statuses/<sha>` as go-github v64 sends it. */
export const github: Notifier = {
  type: "github",
  validate: (s) => collectProblems(() => gitHubAuth(s), () => gitHubRepository(s)),
  format: formatGitHub,
  classify: (res) => classifyRateLimit(res),
};

function formatGitHub(ctx: NotifyContext): FormatResult {
  const auth = gitHubAuth(ctx.settings);
  const repo = gitHubRepository(ctx.settings);
  const status = prepareCommitStatus(ctx, { info: "success", error: "failure", unknown: "can't convert to github state" });
  if ("skip" in status) return status;
  return {
    method: "POST",
    url: `${repo}/statuses/${status.sha}`,
    ...gitHubAuthorized(auth),
    // go-github encodes with SetEscapeHTML(false) and json.Encoder's trailing newline.
    body: goJson({ state: status.state, description: status.description, context: status.id }, { escapeHtml: false, newline: true }),
    remember: rememberStatus(repo, status.sha, status.id, status.state, status.description),
  };
}

/** The headers go-github sends on every API request, plus the relay's own User-Agent. */
export function gitHubHeaders(token?: string): Record<string, string> {
  return {
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
    Accept: "application/vnd.github.v3+json",
    "X-GitHub-Api-Version": "2022-11-28",
    "Content-Type": "application/json",
    // GitHub refuses API requests without a User-Agent, and Workers fetch sets none.
    "User-Agent": "flux-relay",
  };
}

/**
 * The headers of a repository call, and for a GitHub App the installation whose token the
 * transport puts in `Authorization` (minted or cached; src/notifiers/git/github-app.ts).
 */
export function gitHubAuthorized(auth: GitHubAuth): { headers: Record<string, string>; gitHubApp?: GitHubAppAuth } {
  return "token" in auth ? { headers: gitHubHeaders(auth.token) } : { headers: gitHubHeaders(), gitHubApp: { app: auth.app, as: "installation" } };
}

/** `<api>/repos/<owner>/<repo>`: api.github.com for github.com, `<host>/api/v3` for GitHub Enterprise. */
export function gitHubRepository(settings: ProviderSettings): string {
  return gitHubEndpoints(settings).repo;
}

/** The API base of the address's host and the repository's URL under it. */
export function gitHubEndpoints(settings: ProviderSettings): { api: string; repo: string } {
  const address = parseGitAddress(settings.address);
  const [owner, repo] = ownerAndRepo(address);
  const api = gitHubApiBase(address.origin, address.host);
  return { api, repo: `${api}/repos/${goPathEscape(owner)}/${goPathEscape(repo)}` };
}

function gitHubApiBase(origin: string, host: string): string {
  if (host === "github.com") return "https://api.github.com";
  // go-github's WithEnterpriseURLs leaves `api.` hosts alone and appends /api/v3 to the rest.
  return host.startsWith("api.") || host.includes(".api.") ? origin : `${origin}/api/v3`;
}

/** A token (a PAT or installation token), or the GitHub App that mints one. */
export type GitHubAuth = { token: string } | { app: NonNullable<ReturnType<typeof gitHubApp>> };

/**
 * Flux's choice: the token, falling back to the Secret's `password`; without one, the GitHub App
 * of the Secret (`githubAppID` and the keys that go with it).
 */
export function gitHubAuth(settings: ProviderSettings): GitHubAuth {
  const token = tokenOrPassword(settings);
  if (token) return { token };
  const app = gitHubApp(settings.secret);
  if (app) return { app };
  throw new FormatError("github token or github app details must be specified: set the token key, or githubAppID, githubAppInstallationID and githubAppPrivateKey, in the Secret referenced by spec.secretRef");
}
