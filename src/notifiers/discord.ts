import { classifyResponse } from "./classify";
import { httpUrlProblem, problems } from "./kit/validate";
import { slackBody } from "./slack";
import { isError, jsonObject, titleOf } from "./kit/text";
import type { Classification, Notifier, ResponseSnapshot } from "./types";

/** `discord`: the Slack payload posted to the webhook's Slack-compatible endpoint. */
export const discord: Notifier = {
  type: "discord",
  validate: (s) => problems(httpUrlProblem(s.address)),
  format(ctx) {
    const { event, settings } = ctx;
    const body = slackBody(event, {
      title: titleOf(ctx),
      channel: "",
      username: settings.username || event.reportingController,
      fallback: "",
      color: isError(event) ? "danger" : "good",
    });
    return { method: "POST", url: discordSlackUrl(settings.address), headers: { "Content-Type": "application/json" }, body };
  },
  classify: classifyDiscord,
  // Discord staff on webhook limits (discord-api-docs#367): 5 per 2 s per webhook and 30 per
  // 60 s per channel; the channel limit is the binding one.
  paceMs: () => 2000,
};

/**
 * `<address>/slack`, trailing slashes of the path dropped as Go's path.Join does, query kept.
 * Flux tests the `/slack` suffix on the whole address and so appends a second `/slack` to
 * `…/slack?thread_id=1`; testing the path leaves such an address unchanged.
 */
export function discordSlackUrl(address: string): string {
  const end = address.search(/[?#]/);
  const path = end < 0 ? address : address.slice(0, end);
  if (path.endsWith("/slack")) return address;
  return `${path.replace(/\/+$/, "")}/slack${end < 0 ? "" : address.slice(end)}`;
}

/**
 * A 429's JSON `retry_after` is in seconds (a float). Older API versions sent milliseconds,
 * so values above 1000 are read as milliseconds.
 */
function classifyDiscord(res: ResponseSnapshot): Classification {
  const base = classifyResponse(res);
  if (base.outcome !== "retry") return base;
  const retryAfter = jsonObject(res.body)?.retry_after;
  if (typeof retryAfter !== "number" || !(retryAfter >= 0)) return base;
  return { ...base, retryAfterMs: Math.ceil(retryAfter > 1000 ? retryAfter : retryAfter * 1000) };
}
