import { goJson } from "../lib/gojson";
import { parseGitAddress } from "./git/address";
import { changeRequestNumber, commentBody, commentKeyMarker, editOrCreate, nested, type CommentThread } from "./git/change-request";
import { gitlab, gitLabProject, gitLabToken } from "./gitlab";
import type { Notifier, NotifyContext, OutboundRequest } from "./types";

/**
 * `gitlabmergerequestcomment`: one note per (Provider, object) on the merge request whose IID is
 * metadata `change_request`, created once and edited on later events, as GitLab's client-go
 * sends the calls of Flux's notifier. `format` is the first-time create; deliveries run `exchange`.
 */
export const gitlabMergeRequestComment: Notifier = {
  type: "gitlabmergerequestcomment",
  validate: gitlab.validate,
  format: (ctx) => thread(ctx).create,
  exchange: (ctx, send) => editOrCreate(thread(ctx), send),
  classify: gitlab.classify,
};

function thread(ctx: NotifyContext): CommentThread {
  const { settings, event } = ctx;
  const token = gitLabToken(settings);
  const project = gitLabProject(settings);
  const { origin } = parseGitAddress(settings.address);
  const iid = changeRequestNumber(event, "strconv.ParseInt");
  const marker = commentKeyMarker("flux-mr-comment-key", ctx);
  const headers = { "PRIVATE-TOKEN": token, Accept: "application/json" };
  const get = (url: string): OutboundRequest => ({ method: "GET", url, headers, body: "" });
  const body = goJson({ body: commentBody(marker, event) });
  const write = (method: "POST" | "PUT", url: string): OutboundRequest => ({
    method,
    url,
    headers: { "PRIVATE-TOKEN": token, "Content-Type": "application/json", Accept: "application/json" },
    body,
  });
  const notes = `${project}/merge_requests/${iid}/notes`;
  return {
    noun: "merge request note",
    marker,
    whoAmI: get(`${origin}/api/v4/user`),
    identity: (user) => user.username,
    list: get(`${notes}?order_by=created_at&per_page=100&sort=asc`),
    author: (note) => nested(note, "author", "username"),
    edit: (id) => write("PUT", `${notes}/${id}`),
    create: write("POST", notes),
  };
}
