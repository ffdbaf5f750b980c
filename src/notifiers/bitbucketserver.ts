import { goJson } from "../lib/gojson";
import { bearerAuth, passwordAuth } from "./kit/http-auth";
import { collectProblems, AddressError } from "./kit/validate";
import { FormatError, type FormatResult, type Notifier, type NotifyContext, type ProviderSettings } from "./types";
import { decodeSegment, goPathEscape } from "./git/address";
import { sha1Hex } from "./git/http";
import { prepareCommitStatus, rememberStatus } from "./git/status";

/** `bitbucketserver` (Data Center): `POST <base>/rest/api/latest/projects/<P>/repos/<r>/commits/<sha>/builds`. */
export const bitbucketServer: Notifier = {
  type: "bitbucketserver",
  validate: (s) => collectProblems(() => bitbucketServerAuthorization(s), () => bitbucketServerRepository(s)),
  format: formatBitbucketServer,
  // Flux's Bitbucket Server client counts every status up to 399 as success.
  classify: (res) => (res.status >= 300 && res.status <= 399 ? { outcome: "delivered" } : undefined),
};

async function formatBitbucketServer(ctx: NotifyContext): Promise<FormatResult> {
  const authorization = bitbucketServerAuthorization(ctx.settings);
  const repo = bitbucketServerRepository(ctx.settings);
  const status = prepareCommitStatus(ctx, {
    info: "SUCCESSFUL",
    error: "FAILED",
    unknown: "couldn't convert to bitbucket server state: bitbucket server state generated on info or error events only",
  });
  if ("skip" in status) return status;
  const key = await sha1Hex(status.id);
  // Bitbucket Server shows the name in its UI, so Flux appends the description to it.
  const name = `${status.name} [${status.description}]`;
  // bbServerBuildStatusSetRequest field order and omitempty rules; json.Encoder adds the newline.
  const body: Record<string, string> = {};
  if (status.description) body.description = status.description;
  body.key = key;
  body.name = name;
  body.state = status.state;
  body.url = repo.link;
  return {
    method: "POST",
    url: `${repo.commits}/${status.sha}/builds`,
    headers: {
      Authorization: authorization,
      "x-atlassian-token": "no-check",
      "x-requested-with": "XMLHttpRequest",
      "Content-Type": "application/json",
    },
    body: goJson(body, { newline: true }),
    remember: rememberStatus(repo.commits, status.sha, key, status.state, status.description, name),
  };
}

export interface BitbucketServerRepository {
  /** `<scheme>://<host>[<context>]/rest/api/latest/projects/<P>/repos/<r>/commits` */
  commits: string;
  /** The status link: the provider address without credentials. */
  link: string;
}

/**
 * The HTTP(S) clone URL `<base>/scm/<PROJECT>/<repo>.git` (the context path is everything before
 * the last `/scm/`, as Flux), or a browse URL `<base>/projects/<PROJECT>/repos/<repo>[/...]`.
 */
export function bitbucketServerRepository(settings: ProviderSettings): BitbucketServerRepository {
  const address = settings.address.trim();
  if (!address) throw new AddressError("no address: set spec.address or the Secret's address key to the repository's HTTP(S) clone URL");
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new FormatError("could not parse git address: not an absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FormatError("could not parse git address: unsupported scheme type in address. Must be http or https");
  }
  const path = url.pathname.replace(/\.git$/, "");
  const scm = path.lastIndexOf("/scm/");
  const browse = /^(.*?)\/projects\/([^/]+)\/repos\/([^/]+)(?:\/.*)?$/.exec(path);
  let context: string;
  let id: string[];
  if (scm >= 0) {
    context = path.slice(0, scm);
    id = path.slice(scm + "/scm/".length).split("/");
  } else if (browse) {
    context = browse[1];
    id = [browse[2], browse[3]];
  } else {
    throw new FormatError("could not parse git address: supplied provider address is not http(s) git clone url (<base>/scm/<project>/<repo>.git)");
  }
  if (id.length !== 2 || !id[0] || !id[1]) {
    throw new FormatError("could not parse git address: invalid repository id, expected <project>/<repo> after /scm/");
  }
  const [project, repo] = id.map(decodeSegment).map(goPathEscape);
  // Flux links the status to the address verbatim; credentials in it would be shown to every reader.
  let link = address;
  if (url.username || url.password) {
    url.username = "";
    url.password = "";
    link = url.href;
  }
  return { commits: `${url.origin}${context}/rest/api/latest/projects/${project}/repos/${repo}/commits`, link };
}

/** Bearer token, else Basic from username/password. */
export function bitbucketServerAuthorization(settings: ProviderSettings): string {
  const authorization = bearerAuth(settings.token) ?? passwordAuth(settings);
  if (!authorization) throw new FormatError("invalid credentials, expected to be one of username/password or API Token");
  return authorization;
}
