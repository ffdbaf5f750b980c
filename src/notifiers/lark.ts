import type { FluxEvent } from "../flux/event";
import { goJson } from "../lib/gojson";
import { retryAfterMs } from "./classify";
import { httpUrlProblem, problems } from "./kit/validate";
import { isError, jsonObject, metadataEntries, titleOf } from "./kit/text";
import type { Classification, Notifier, ResponseSnapshot } from "./types";

// Feishu/Lark rate limits: "request trigger frequency limit", answered with 429 or 400.
const FREQUENCY_LIMIT_CODE = 99991400;

/** `lark`: an interactive card to a Lark / Feishu custom bot webhook (no signature support, as Flux). */
export const lark: Notifier = {
  type: "lark",
  validate: (s) => problems(httpUrlProblem(s.address)),
  format: (ctx) => ({
    method: "POST",
    url: ctx.settings.address,
    headers: { "Content-Type": "application/json" },
    body: larkBody(ctx.event, titleOf(ctx)),
  }),
  classify: classifyLark,
  // Lark custom bot limits: 100 requests per minute and 5 per second per bot.
  paceMs: () => 600,
};

function larkBody(event: FluxEvent, title: string): string {
  const error = isError(event);
  const lines = metadataEntries(event)
    .map(([key, value]) => `${key}: ${value}\n`)
    .join("");
  return goJson({
    msg_type: "interactive",
    card: {
      config: { wide_screen_mode: true },
      header: {
        title: { tag: "plain_text", content: `${error ? "🚨" : "💫"} ${title}` },
        template: error ? "red" : "turquoise",
      },
      elements: [{ tag: "div", text: { tag: "lark_md", content: `**${event.message}**\n\n${lines}` } }],
    },
  });
}

/**
 * Lark answers refused messages (bad signature, keyword or IP filter, malformed card) with HTTP
 * 200 and a non-zero `code`. Flux takes those for success; the relay reports them instead.
 */
function classifyLark(res: ResponseSnapshot): Classification | undefined {
  const answer = jsonObject(res.body);
  const code = answer?.code;
  if (typeof code !== "number" || code === 0) return undefined;
  const msg = typeof answer?.msg === "string" ? answer.msg.slice(0, 200) : "";
  const reason = `Lark responded with error ${code}: ${msg}`;
  if (code === FREQUENCY_LIMIT_CODE) {
    const reset = Number(res.headers.get("x-ogw-ratelimit-reset"));
    return { outcome: "retry", reason, retryAfterMs: reset > 0 ? reset * 1000 : retryAfterMs(res.headers) };
  }
  if (res.status >= 200 && res.status < 300) return { outcome: "permanent", reason };
  return undefined;
}
