import { FormatError } from "../types";
import { AddressError } from "../kit/validate";

/** A repository address reduced to what the API clients need: where the host is, which path names the repo. */
export interface GitAddress {
  /** `https://host[:port]` (or `http://`), the scheme Flux would talk HTTP(S) to. */
  origin: string;
  host: string;
  /** Decoded path segments, without the `.git` suffix. */
  segments: string[];
}

const HTTP_SCHEMES = new Set(["http:", "https:"]);
// ssh-like transports are rewritten to https as Flux does (parseGitAddress); `git:` and `git+ssh:`
// are clone-only too, so they get the same treatment instead of Go's unusable `git://host` API base.
const SSH_SCHEMES = new Set(["ssh:", "git+ssh:", "git:"]);
// The scp-like form accepted by chainguard-dev/git-urls (`git@host:owner/repo.git`).
const SCP = /^(?:[a-zA-Z0-9\-._~]+@)?([a-zA-Z0-9._-]+):([a-zA-Z0-9./_-]+)$/;

const EXPECTED_FORMS = "https://<host>/<owner>/<repo>, ssh://git@<host>/<owner>/<repo>.git or git@<host>:<owner>/<repo>.git";

/**
 * Parses a git remote the way Flux's parseGitAddress does (https, ssh:// and scp-like forms;
 * ssh becomes https). Unlike Go, the ssh port is dropped (it is never the API port) and a
 * trailing slash is tolerated. Throws a FormatError that never repeats the address, which may
 * come from a Secret and carry credentials.
 */
export function parseGitAddress(address: string): GitAddress {
  const raw = address.trim();
  if (!raw) throw new AddressError("no address: set spec.address or the Secret's address key to the repository URL");
  const scp = SCP.exec(raw);
  if (scp && !raw.includes("://")) return fromParts("https", scp[1].toLowerCase(), scp[2]);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AddressError(`invalid address: not a repository URL (expected ${EXPECTED_FORMS})`);
  }
  if (SSH_SCHEMES.has(url.protocol) && url.hostname) return fromParts("https", url.hostname.toLowerCase(), url.pathname);
  if (HTTP_SCHEMES.has(url.protocol) && url.host) return fromParts(url.protocol.slice(0, -1), url.host, url.pathname);
  throw new AddressError(`invalid address: scheme must be https, http or ssh (expected ${EXPECTED_FORMS})`);
}

function fromParts(scheme: string, host: string, path: string): GitAddress {
  const trimmed = path.replace(/^\/+/, "").replace(/\/+$/, "").replace(/\.git$/, "");
  const segments = trimmed ? trimmed.split("/").map(decodeSegment) : [];
  if (segments.some((s) => s === "")) throw new AddressError("invalid address: the repository path has an empty segment");
  return { origin: `${scheme}://${host}`, host, segments };
}

export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AddressError("invalid address: the repository path has a malformed percent-escape");
  }
}

/** `owner/repo` of a two-segment repository path (GitHub, Gitea, Bitbucket Cloud). */
export function ownerAndRepo(address: GitAddress): [string, string] {
  if (address.segments.length !== 2) {
    throw new FormatError(`invalid repository id: the address path must be <owner>/<repo>, got ${address.segments.length} segment(s)`);
  }
  return [address.segments[0], address.segments[1]];
}

/**
 * Go's url.PathEscape: unreserved bytes and `$&+:=@` stay, everything else (including `/`) is
 * percent-encoded with upper-case hex, byte by byte of the UTF-8 form.
 */
export function goPathEscape(value: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(value)) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~$&+:=@]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
