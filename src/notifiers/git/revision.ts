import { FormatError } from "../types";

// Flux's fluxcd/pkg/git (v0.52) only recognises 40-character SHA-1 hashes; it does not check the
// characters, but the SHA lands in a URL path, so anything but hex is refused here.
const SHA1 = /^[0-9a-fA-F]{40}$/;

/**
 * The commit SHA an event is about: metadata `commit`, else `originRevision`, else `revision`
 * (the first key present wins, even when empty, as Event.GetRevision), reduced to the text after
 * the last `:` (`main@sha1:<sha>`), else after the last `/` (`main/<sha>`), else the whole value.
 */
export function commitSha(metadata: Record<string, string>): string {
  const key = ["commit", "originRevision", "revision"].find((k) => Object.hasOwn(metadata, k));
  if (key === undefined) throw new FormatError("missing revision metadata");
  const revision = metadata[key];
  const colon = revision.lastIndexOf(":");
  const hash = colon >= 0 ? revision.slice(colon + 1) : revision.slice(revision.lastIndexOf("/") + 1);
  if (!SHA1.test(hash)) throw new FormatError(`failed to extract commit hash from '${revision}' revision`);
  return hash;
}
