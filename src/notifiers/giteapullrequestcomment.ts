import { goJson } from "../lib/gojson";
import { parseGitAddress } from "./git/address";
import { changeRequestNumber, commentBody, commentKeyMarker, editOrCreate, nested, type CommentThread } from "./git/change-request";
import { gitea, giteaRepository, giteaToken } from "./gitea";
import type { Notifier, NotifyContext, OutboundRequest } from "./types";

/**
 * `giteapullrequestcomment` (also Forgejo): one comment per (Provider, object) on the pull
 * request named by metadata `change_request`, created once and edited on later events, as the
 * Gitea SDK sends the calls of Flux's notifier. The SDK's `GET /api/v1/version` probe is left
 * out: it only picks SDK code paths, none of which these calls use. `format` is the first-time
 * create; deliveries run `exchange`.
 */
export const giteaPullRequestComment: Notifier = {
  type: "giteapullrequestcomment",
  validate: gitea.validate,
  format: (ctx) => thread(ctx).create,
  exchange: (ctx, send) => editOrCreate(thread(ctx), send),
};

function thread(ctx: NotifyContext): CommentThread {
  const { settings, event } = ctx;
  const token = giteaToken(settings);
  const repo = giteaRepository(settings);
  const { origin } = parseGitAddress(settings.address);
  const number = changeRequestNumber(event, "strconv.Atoi");
  const marker = commentKeyMarker("flux-pr-comment-key", ctx);
  const get = (url: string): OutboundRequest => ({ method: "GET", url, headers: { Authorization: `token ${token}` }, body: "" });
  const body = goJson({ body: commentBody(marker, event) });
  const write = (method: "POST" | "PATCH", url: string): OutboundRequest => ({
    method,
    url,
    headers: { Authorization: `token ${token}`, "Content-Type": "application/json" },
    body,
  });
  return {
    noun: "pull request comment",
    marker,
    whoAmI: get(`${origin}/api/v1/user`),
    identity: (user) => user.login,
    // ListIssueCommentOptions{Page: 1, PageSize: 100}, encoded by url.Values (sorted keys).
    list: get(`${repo}/issues/${number}/comments?limit=100&page=1`),
    author: (comment) => nested(comment, "user", "login"),
    edit: (id) => write("PATCH", `${repo}/issues/comments/${id}`),
    create: write("POST", `${repo}/issues/${number}/comments`),
  };
}
