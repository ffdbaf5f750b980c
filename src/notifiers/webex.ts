import type { FluxEvent } from "../flux/event";
import { goJson } from "../lib/gojson";
import { httpUrlProblem } from "./classify";
import { isError, metadataEntries, objName } from "./text";
import type { Notifier } from "./types";

/**
 * `webex`: a markdown message posted by a bot (normally to https://webexapis.com/v1/messages).
 * Webex publishes no per-room message rate, only 429 with Retry-After, so there is no pace.
 */
export const webex: Notifier = {
  type: "webex",
  validate(s) {
    const problems = [httpUrlProblem(s.address)];
    if (!s.channel) problems.push("no Webex room: set spec.channel to the room id");
    if (!s.token) problems.push("no Webex bot token: set the token key in the Secret referenced by spec.secretRef");
    return problems.filter((p) => p !== undefined);
  },
  format: ({ event, settings }) => ({
    method: "POST",
    url: settings.address,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${settings.token}` },
    body: goJson({ roomId: settings.channel, markdown: webexMarkdown(event) }),
  }),
};

function webexMarkdown(event: FluxEvent): string {
  const lines = metadataEntries(event)
    .map(([key, value]) => `>**${key}**: ${value}\n`)
    .join("");
  return `${isError(event) ? "💣" : "✅"} **${objName(event)}**\n${event.message}\n${lines}`;
}
