import { goJson } from "../lib/gojson";
import { changeRequestNumber, commentBody, commentKeyMarker, editOrCreate, nested, type CommentThread } from "./git/change-request";
import { github, gitHubAuth, gitHubAuthorized, gitHubEndpoints } from "./github";
import { appRequest } from "./git/github-app";
import type { Notifier, NotifyContext, OutboundRequest } from "./types";

/**
 * `githubpullrequestcomment`: one comment per (Provider, object) on the pull request named by
 * metadata `change_request`, created once and edited on later events, as go-github v64 sends the
 * calls of Flux's notifier. `format` is the first-time create; deliveries run `exchange`.
 */
export const githubPullRequestComment: Notifier = {
  type: "githubpullrequestcomment",
  validate: github.validate,
  format: (ctx) => thread(ctx).create,
  exchange: (ctx, send) => editOrCreate(thread(ctx), send),
  classify: github.classify,
  // Comments count against GitHub's content-creation limit of 80 requests per minute
  // (docs.github.com, REST API rate limits, secondary rate limits).
  paceMs: () => 750,
};

function thread(ctx: NotifyContext): CommentThread {
  const { settings, event } = ctx;
  const auth = gitHubAuth(settings);
  const { api, repo } = gitHubEndpoints(settings);
  const number = changeRequestNumber(event, "strconv.Atoi");
  const marker = commentKeyMarker("flux-pr-comment-key", ctx);
  const { headers, gitHubApp } = gitHubAuthorized(auth);
  // go-github sets Content-Type only on requests that carry a body.
  const { "Content-Type": _json, ...readHeaders } = headers;
  const get = (url: string): OutboundRequest => ({ method: "GET", url, headers: readHeaders, body: "", ...(gitHubApp && { gitHubApp }) });
  // go-github encodes IssueComment{Body} with SetEscapeHTML(false) and json.Encoder's newline.
  const body = goJson({ body: commentBody(marker, event) }, { escapeHtml: false, newline: true });
  const write = (method: "POST" | "PATCH", url: string): OutboundRequest => ({ method, url, headers, body, ...(gitHubApp && { gitHubApp }) });
  return {
    noun: "pull request comment",
    marker,
    // An App comments as `<slug>[bot]`: Flux reads the slug with GET /app, authenticated as the App.
    whoAmI: "app" in auth ? { ...appRequest(auth.app, "GET", "app"), gitHubApp: { app: auth.app, as: "app" } } : get(`${api}/user`),
    identity: (user) => ("app" in auth ? (typeof user.slug === "string" && user.slug ? `${user.slug}[bot]` : undefined) : user.login),
    list: get(`${repo}/issues/${number}/comments?direction=asc&per_page=100&sort=created`),
    author: (comment) => nested(comment, "user", "login"),
    edit: (id) => write("PATCH", `${repo}/issues/comments/${id}`),
    create: write("POST", `${repo}/issues/${number}/comments`),
  };
}
