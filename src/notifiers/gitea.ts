import { goJson } from "../lib/gojson";
import { collectProblems } from "./kit/validate";
import { FormatError, type FormatResult, type Notifier, type NotifyContext, type ProviderSettings } from "./types";
import { goPathEscape, ownerAndRepo, parseGitAddress } from "./git/address";
import { prepareCommitStatus, rememberStatus } from "./git/status";
import { tokenOrPassword } from "./kit/http-auth";

/** `gitea` (also Forgejo): `POST /api/v1/repos/<owner>/<repo>/statuses/<sha>` as the Gitea SDK sends it. */
export const gitea: Notifier = {
  type: "gitea",
  validate: (s) => collectProblems(() => giteaToken(s), () => giteaRepository(s)),
  format: formatGitea,
};

function formatGitea(ctx: NotifyContext): FormatResult {
  const token = giteaToken(ctx.settings);
  const repo = giteaRepository(ctx.settings);
  // Unlike the other hosts, Flux's Gitea notifier posts `pending` for Progressing events.
  const status = prepareCommitStatus(ctx, { info: "success", error: "failure", progressing: "pending", unknown: "can't convert to gitea state" });
  if ("skip" in status) return status;
  return {
    method: "POST",
    url: `${repo}/statuses/${status.sha}`,
    headers: { Authorization: `token ${token}`, "Content-Type": "application/json" },
    body: goJson({ state: status.state, target_url: "", description: status.description, context: status.id }),
    remember: rememberStatus(repo, status.sha, status.id, status.state, status.description),
  };
}

export function giteaRepository(settings: ProviderSettings): string {
  const address = parseGitAddress(settings.address);
  const [owner, repo] = ownerAndRepo(address);
  return `${address.origin}/api/v1/repos/${goPathEscape(owner)}/${goPathEscape(repo)}`;
}

/** The token, falling back to the Secret's `password` as Flux does. */
export function giteaToken(settings: ProviderSettings): string {
  const token = tokenOrPassword(settings);
  if (!token) throw new FormatError("gitea token cannot be empty: set the token key in the Secret referenced by spec.secretRef");
  return token;
}
