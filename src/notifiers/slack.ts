import type { FluxEvent } from "../flux/event";
import { goJson } from "../lib/gojson";
import { retryAfterMs } from "./classify";
import { httpUrlProblem, problems } from "./kit/validate";
import { isError, jsonObject, metadataEntries, titleOf } from "./kit/text";
import type { Classification, Notifier, ProviderSettings, ResponseSnapshot, SlackThreadReply } from "./types";

/** The Web API method Flux recognises by exact address to check the `ok` field of its answers. */
export const SLACK_POST_MESSAGE_URL = "https://slack.com/api/chat.postMessage";

// Slack documents these chat.postMessage errors as transient; every other error needs a fix.
const TRANSIENT_ERRORS = new Set(["ratelimited", "internal_error", "service_unavailable", "request_timeout"]);

/** What differs between the three Slack-shaped payloads (slack, discord, rocket). */
export interface SlackStyle {
  /** The attachment's author line: Flux's objName or the Alert's title template. */
  title: string;
  channel: string;
  username: string;
  fallback: string;
  color: string;
}

/**
 * Flux's SlackPayload as Go encodes it: fields in struct order, `text` omitted, one attachment.
 * A thread reply (relay extension) adds chat.postMessage's `thread_ts` and `reply_broadcast` last.
 */
export function slackBody(event: FluxEvent, style: SlackStyle, thread?: SlackThreadReply): string {
  return goJson({
    channel: style.channel,
    username: style.username,
    icon_url: "",
    icon_emoji: "",
    attachments: [
      {
        fallback: style.fallback,
        color: style.color,
        author_name: style.title,
        text: event.message,
        mrkdwn_in: ["text"],
        fields: metadataEntries(event).map(([title, value]) => ({ title, value, short: false })),
      },
    ],
    ...(thread ? { thread_ts: thread.ts, ...(thread.broadcast ? { reply_broadcast: true } : {}) } : {}),
  });
}

/**
 * Whether the provider posts with chat.postMessage, the only Slack API that can reply in a thread:
 * the Web API method on slack.com or another Slack host (GovSlack's slack-gov.com).
 */
export function canThread(settings: Pick<ProviderSettings, "type" | "address">): boolean {
  if (settings.type !== "slack") return false;
  try {
    return new URL(settings.address).pathname.endsWith("/api/chat.postMessage");
  } catch {
    return false;
  }
}

/** The `ts` of the message chat.postMessage created, from its answer: the thread's id. */
export function postedMessageTs(body: string): string | undefined {
  const answer = jsonObject(body);
  return answer?.ok === true && typeof answer.ts === "string" ? answer.ts : undefined;
}

/** `slack`: incoming webhook, or chat.postMessage with a bot token. */
export const slack: Notifier = {
  type: "slack",
  validate(s) {
    const postMessage = s.address === SLACK_POST_MESSAGE_URL;
    return problems(
      httpUrlProblem(s.address),
      postMessage && !s.token ? "Slack chat.postMessage needs a bot token: set the token key in the Secret referenced by spec.secretRef" : undefined,
      postMessage && !s.channel ? "Slack chat.postMessage needs a channel: set spec.channel to the channel id or name" : undefined,
    );
  },
  format(ctx) {
    const { event, settings, thread } = ctx;
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (settings.token) headers.Authorization = `Bearer ${settings.token}`;
    const author = titleOf(ctx);
    const body = slackBody(event, {
      title: author,
      channel: settings.channel,
      username: settings.username || event.reportingController,
      fallback: `${author}: ${event.message.split("\n")[0]}`,
      color: isError(event) ? "danger" : "good",
    }, thread && canThread(settings) ? thread : undefined);
    return { method: "POST", url: settings.address, headers, body };
  },
  classify: classifySlack,
  // Slack rate limits: posting messages, 1 per second per channel (short bursts tolerated).
  paceMs: () => 1000,
};

/**
 * chat.postMessage answers 200 even on failure, with `{"ok":false,"error":"..."}`. Flux reads the
 * answer only when the address is exactly chat.postMessage (internal/notifier/slack.go,
 * validateSlackResponse), and fails an answer that is not JSON there; any other address (incoming
 * webhooks answer plain `ok`) goes by its status alone.
 */
function classifySlack(res: ResponseSnapshot): Classification | undefined {
  if (res.status < 200 || res.status >= 300 || res.url !== SLACK_POST_MESSAGE_URL) return undefined;
  const answer = jsonObject(res.body);
  // A 200 that is not Slack's JSON comes from something in between (a proxy or captive page): try again later.
  if (!answer) return { outcome: "retry", reason: `unable to unmarshal response body: chat.postMessage answered ${JSON.stringify(res.body.slice(0, 60))}` };
  if (answer.ok === true) return undefined;
  const error = typeof answer.error === "string" ? answer.error.slice(0, 100) : "";
  const reason = `Slack responded with error: ${error || "(none given)"}`;
  if (TRANSIENT_ERRORS.has(error)) return { outcome: "retry", reason, retryAfterMs: retryAfterMs(res.headers) };
  return { outcome: "permanent", reason };
}
