import { httpUrlProblem, problems } from "./kit/validate";
import { slackBody } from "./slack";
import { isError, titleOf } from "./kit/text";
import type { Notifier } from "./types";

/**
 * `rocket`: the Slack payload to a Rocket.Chat incoming webhook. Unlike Slack and Discord, Flux
 * does not fall back to the reporting controller when `spec.username` is empty. Rocket.Chat
 * publishes no webhook rate limit, so there is no pace.
 */
export const rocket: Notifier = {
  type: "rocket",
  validate: (s) => problems(httpUrlProblem(s.address)),
  format(ctx) {
    const { event, settings } = ctx;
    const body = slackBody(event, {
      title: titleOf(ctx),
      channel: settings.channel,
      username: settings.username,
      fallback: "",
      color: isError(event) ? "#FF0000" : "#0076D7",
    });
    return { method: "POST", url: settings.address, headers: { "Content-Type": "application/json" }, body };
  },
};
