import { goJson } from "../lib/gojson";
import { basicAuth } from "./kit/http-auth";
import { collectProblems } from "./kit/validate";
import { FormatError, type FormatResult, type Notifier, type NotifyContext, type ProviderSettings } from "./types";
import { goPathEscape, ownerAndRepo, parseGitAddress } from "./git/address";
import { sha1Hex } from "./git/http";
import { prepareCommitStatus, rememberStatus } from "./git/status";

// go-bitbucket always talks to Bitbucket Cloud; the address only names the repository.
const API = "https://api.bitbucket.org/2.0";

/** `bitbucket` (Cloud): `POST /2.0/repositories/<owner>/<repo>/commit/<sha>/statuses/build`. */
export const bitbucket: Notifier = {
  type: "bitbucket",
  validate: (s) => collectProblems(() => bitbucketCredentials(s), () => bitbucketRepository(s)),
  format: formatBitbucket,
};

async function formatBitbucket(ctx: NotifyContext): Promise<FormatResult> {
  const authorization = bitbucketCredentials(ctx.settings);
  const repo = bitbucketRepository(ctx.settings);
  const status = prepareCommitStatus(ctx, { info: "SUCCESSFUL", error: "FAILED", unknown: "can't convert to bitbucket state" });
  if ("skip" in status) return status;
  // Bitbucket keys are at most 40 characters, hence the SHA-1 of the id.
  const key = await sha1Hex(status.id);
  return {
    method: "POST",
    url: `${repo}/commit/${status.sha}/statuses/build`,
    headers: { Authorization: authorization, "Content-Type": "application/json" },
    // go-bitbucket's CommitStatusOptions field order.
    body: goJson({ key, url: "https://bitbucket.org", state: status.state, name: status.name, description: status.description }),
    remember: rememberStatus(repo, status.sha, key, status.state, status.description),
  };
}

export function bitbucketRepository(settings: ProviderSettings): string {
  const [owner, repo] = ownerAndRepo(parseGitAddress(settings.address));
  return `${API}/repositories/${goPathEscape(owner)}/${goPathEscape(repo)}`;
}

/** HTTP Basic from a `<username>:<app-password>` token (exactly one colon, as Flux splits it). */
export function bitbucketCredentials(settings: ProviderSettings): string {
  if (!settings.token) throw new FormatError("bitbucket token cannot be empty: set the token key to <user>:<password> (an app password or API token)");
  const parts = settings.token.split(":");
  if (parts.length !== 2) throw new FormatError("invalid token format, expected to be <user>:<password>");
  return basicAuth(parts[0], parts[1]);
}
