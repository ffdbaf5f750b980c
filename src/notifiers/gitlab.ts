import { goJson } from "../lib/gojson";
import { collectProblems } from "./kit/validate";
import { FormatError, type FormatResult, type Notifier, type NotifyContext, type ProviderSettings } from "./types";
import { goPathEscape, parseGitAddress } from "./git/address";
import { classifyRateLimit } from "./git/http";
import { prepareCommitStatus, rememberStatus } from "./git/status";
import { tokenOrPassword } from "./kit/http-auth";

/** `gitlab`: `POST /api/v4/projects/<url-encoded path>/statuses/<sha>` as GitLab's client-go sends it. */
export const gitlab: Notifier = {
  type: "gitlab",
  validate: (s) => collectProblems(() => gitLabToken(s), () => gitLabProject(s)),
  format: formatGitLab,
  classify: (res) => classifyRateLimit(res),
};

function formatGitLab(ctx: NotifyContext): FormatResult {
  const token = gitLabToken(ctx.settings);
  const project = gitLabProject(ctx.settings);
  const status = prepareCommitStatus(ctx, { info: "success", error: "failed", unknown: "can't convert to gitlab state" });
  if ("skip" in status) return status;
  return {
    method: "POST",
    url: `${project}/statuses/${status.sha}`,
    headers: { "PRIVATE-TOKEN": token, "Content-Type": "application/json", Accept: "application/json" },
    body: goJson({ state: status.state, name: status.id, description: status.description }),
    remember: rememberStatus(project, status.sha, status.id, status.state, status.description),
  };
}

/**
 * `<host>/api/v4/projects/<id>` where the id is the whole path (nested groups allowed) escaped as
 * one segment, dots included (client-go's PathEscape): `group%2Fsub%2Frepo`.
 */
export function gitLabProject(settings: ProviderSettings): string {
  const address = parseGitAddress(settings.address);
  if (address.segments.length < 2) {
    throw new FormatError("invalid repository id: the address path must be <group>/<project> (subgroups allowed)");
  }
  const id = goPathEscape(address.segments.join("/")).replaceAll(".", "%2E");
  return `${address.origin}/api/v4/projects/${id}`;
}

/** The token, falling back to the Secret's `password` as Flux does. */
export function gitLabToken(settings: ProviderSettings): string {
  const token = tokenOrPassword(settings);
  if (!token) throw new FormatError("gitlab token cannot be empty: set the token key in the Secret referenced by spec.secretRef");
  return token;
}
