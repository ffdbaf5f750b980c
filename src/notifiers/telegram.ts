import type { FluxEvent } from "../flux/event";
import { goJson } from "../lib/gojson";
import { classifyResponse } from "./classify";
import { problems, tokenProblem } from "./kit/validate";
import { isError, jsonObject, metadataEntries, titleOf } from "./kit/text";
import type { Classification, Notifier, ProviderSettings, ResponseSnapshot } from "./types";

/** `telegram`: Bot API sendMessage in MarkdownV2; `spec.address` is ignored, as in Flux. */
export const telegram: Notifier = {
  type: "telegram",
  validate: (s) =>
    problems(
      s.channel ? undefined : "no Telegram chat: set spec.channel to the chat id, or <chat id>:<topic id> for a forum topic",
      tokenProblem(s.token, "Telegram bot token") ??
        (/[\s/?#]/.test(s.token)
          ? "the Telegram bot token contains whitespace, '/', '?' or '#', which would change the request URL: check the token key in the Secret"
          : undefined),
    ),
  format(ctx) {
    const { settings } = ctx;
    const [chatId, threadId] = splitChannel(settings.channel);
    const body = goJson({
      chat_id: chatId,
      ...(threadId ? { message_thread_id: threadId } : {}),
      text: telegramText(ctx.event, titleOf(ctx, "/")),
      parse_mode: "MarkdownV2",
    });
    return {
      method: "POST",
      url: `https://api.telegram.org/bot${settings.token}/sendMessage`,
      headers: { "Content-Type": "application/json" },
      body,
    };
  },
  classify: classifyTelegram,
  paceMs: telegramPace,
};

/** Escapes exactly the characters Flux escapes for MarkdownV2 (`<` and `&` are left alone). */
export function escapeMarkdownV2(text: string): string {
  return text.replace(/[\\.\-_[\]()~>`#+=|{}!*]/g, "\\$&");
}

function telegramText(event: FluxEvent, title: string): string {
  const heading = `${isError(event) ? "🚨" : "💫"} ${title}`;
  const lines = metadataEntries(event)
    .map(([key, value]) => `\\- *${escapeMarkdownV2(key)}*: ${escapeMarkdownV2(value)}\n`)
    .join("");
  return `*${escapeMarkdownV2(heading)}*\n${escapeMarkdownV2(event.message)}\n${lines}`;
}

/** `<chat id>[:<thread id>]`, split at the first colon as Go's strings.Cut. */
function splitChannel(channel: string): [string, string] {
  const colon = channel.indexOf(":");
  return colon < 0 ? [channel, ""] : [channel.slice(0, colon), channel.slice(colon + 1)];
}

/** Flood control answers 429 with `{"parameters":{"retry_after":<seconds>}}`. */
function classifyTelegram(res: ResponseSnapshot): Classification {
  const base = classifyResponse(res);
  if (base.outcome === "delivered") return base;
  const parameters = jsonObject(res.body)?.parameters;
  const retryAfter = parameters && typeof parameters === "object" ? (parameters as Record<string, unknown>).retry_after : undefined;
  if (typeof retryAfter !== "number" || !(retryAfter >= 0)) return base;
  return { outcome: "retry", reason: base.reason, retryAfterMs: Math.ceil(retryAfter * 1000) };
}

/**
 * Telegram Bot FAQ: at most 20 messages per minute to the same group or channel, about one
 * per second to a private chat. Private chats are the positive numeric ids.
 */
function telegramPace(settings: ProviderSettings): number {
  return /^\d+$/.test(splitChannel(settings.channel)[0]) ? 1000 : 3000;
}
