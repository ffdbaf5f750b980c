import type { FluxEvent } from "../flux/event";
import { goJson } from "../lib/gojson";
import { httpUrlProblem, problems, tokenProblem } from "./kit/validate";
import { isError, metadataEntries, titleOf } from "./kit/text";
import type { Notifier } from "./types";

/**
 * `webex`: a markdown message posted by a bot (normally to https://webexapis.com/v1/messages).
 * Webex publishes no per-room message rate, only 429 with Retry-After, so there is no pace.
 */
export const webex: Notifier = {
  type: "webex",
  validate: (s) =>
    problems(httpUrlProblem(s.address), s.channel ? undefined : "no Webex room: set spec.channel to the room id", tokenProblem(s.token, "Webex bot token")),
  format: (ctx) => ({
    method: "POST",
    url: ctx.settings.address,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${ctx.settings.token}` },
    body: goJson({ roomId: ctx.settings.channel, markdown: webexMarkdown(ctx.event, titleOf(ctx)) }),
  }),
};

function webexMarkdown(event: FluxEvent, title: string): string {
  const lines = metadataEntries(event)
    .map(([key, value]) => `>**${key}**: ${value}\n`)
    .join("");
  return `${isError(event) ? "💣" : "✅"} **${title}**\n${event.message}\n${lines}`;
}
