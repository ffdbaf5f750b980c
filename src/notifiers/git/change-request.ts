import type { FluxEvent } from "../../flux/event";
import { formatMarkdownPost } from "../kit/markdown";
import { FormatError, type Classification, type NotifyContext, type OutboundRequest, type Send } from "../types";

/** A page of 100 comments is parsed whole, and GitHub's carry every URL and reaction of each. */
const LIST_READ_LIMIT = 8 * 1024 * 1024;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The pull/merge request number from metadata `change_request`, parsed as Go's strconv does
 * (`parser` names the function Flux's error quotes: `strconv.Atoi` or `strconv.ParseInt`).
 */
export function changeRequestNumber(event: FluxEvent, parser: "strconv.Atoi" | "strconv.ParseInt"): string {
  if (!Object.hasOwn(event.metadata, "change_request")) throw new FormatError('missing "change_request" metadata key');
  const raw = event.metadata.change_request;
  const quoted = JSON.stringify(raw);
  if (!/^[+-]?[0-9]+$/.test(raw)) throw new FormatError(`invalid "change_request" metadata value ${quoted}: ${parser}: parsing ${quoted}: invalid syntax`);
  const value = BigInt(raw);
  if (value < INT64_MIN || value > INT64_MAX) {
    throw new FormatError(`invalid "change_request" metadata value ${quoted}: ${parser}: parsing ${quoted}: value out of range`);
  }
  return value.toString();
}

/**
 * The HTML comment that marks the relay's comment for one (Provider, object), Flux's
 * `<!-- <prefix>:<providerUID>/<Kind>/<namespace>/<name> -->`. Flux refuses a Provider without a
 * uid; manifests kept in KV often have none, so the cluster name stands in for it, as for the
 * commit status id, which keeps clusters sharing a Provider manifest on separate comments.
 */
export function commentKeyMarker(prefix: string, { event, settings, cluster }: NotifyContext): string {
  const provider = settings.uid || cluster;
  if (!provider) {
    throw new FormatError(
      "provider UID cannot be empty: the Provider has no metadata.uid and the event names no cluster; set metadata.uid so the relay can find its own comment",
    );
  }
  const { kind, namespace, name } = event.involvedObject;
  return `<!-- ${prefix}:${provider}/${kind}/${namespace}/${name} -->`;
}

/** Flux's formatCommentBody: the marker, a blank line, then the Markdown post. */
export function commentBody(marker: string, event: FluxEvent): string {
  return `${marker}\n\n${formatMarkdownPost(event)}`;
}

/** The requests of one comment thread, as a PR/MR comment notifier builds them for an event. */
export interface CommentThread {
  /** What Flux calls the items in its errors: `pull request comment`, `merge request note`. */
  noun: string;
  /** The marker line the relay's own comment carries. */
  marker: string;
  /** Asks who the token belongs to. */
  whoAmI: OutboundRequest;
  /** The login or username in the whoAmI answer. */
  identity(user: Record<string, unknown>): unknown;
  /** The first page of comments, oldest first. */
  list: OutboundRequest;
  /** Who wrote a listed comment. */
  author(comment: Record<string, unknown>): unknown;
  edit(id: string): OutboundRequest;
  create: OutboundRequest;
}

/**
 * Flux's Post for PR/MR comments: learn the token's identity, list the first page of comments,
 * edit the first one written by that identity that carries the marker, else create one. Each
 * step can be repeated safely, so a retried exchange edits the comment an earlier try created
 * (as long as it is on the first page, which is also Flux's limit).
 */
export async function editOrCreate(thread: CommentThread, send: Send): Promise<Classification> {
  const who = await send(thread.whoAmI);
  if (who.classification.outcome !== "delivered") return failed("failed to get authenticated user info", who.classification);
  const user = jsonValue(who.response?.body);
  const login = isObject(user) ? thread.identity(user) : undefined;
  // Go would carry on with an empty login, match nothing and add a comment on every event.
  if (typeof login !== "string" || !login) return { outcome: "permanent", reason: "failed to get authenticated user info: the answer names no user" };

  const listed = await send({ ...thread.list, readLimit: LIST_READ_LIMIT });
  if (listed.classification.outcome !== "delivered") return failed(`failed to list ${thread.noun}s`, listed.classification);
  const comments = jsonValue(listed.response?.body);
  if (!Array.isArray(comments)) return { outcome: "permanent", reason: `failed to list ${thread.noun}s: the answer is not a JSON list` };
  const mine = comments.find(
    (c): c is Record<string, unknown> =>
      isObject(c) && thread.author(c) === login && typeof c.body === "string" && c.body.includes(thread.marker),
  );

  if (mine) {
    if (typeof mine.id !== "number" && typeof mine.id !== "string") return { outcome: "permanent", reason: `failed to update ${thread.noun}: the listed comment has no id` };
    const edited = await send(thread.edit(String(mine.id)));
    return edited.classification.outcome === "delivered" ? edited.classification : failed(`failed to update ${thread.noun}`, edited.classification);
  }
  const created = await send(thread.create);
  return created.classification.outcome === "delivered" ? created.classification : failed(`failed to create ${thread.noun}`, created.classification);
}

/** `<object>.<field>` of a parsed JSON object, or undefined. */
export function nested(value: Record<string, unknown>, object: string, field: string): unknown {
  const inner = value[object];
  return isObject(inner) ? inner[field] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function failed(what: string, c: Exclude<Classification, { outcome: "delivered" }>): Classification {
  return { ...c, reason: `${what}: ${c.reason}` };
}

function jsonValue(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? "");
  } catch {
    return undefined;
  }
}
