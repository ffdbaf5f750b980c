import { encodeFluxEvent } from "../flux/event";
import { goJson } from "../lib/gojson";
import { classifyResponse } from "./classify";
import { httpUrlProblem, problems, tokenProblem } from "./kit/validate";
import { sha1Hex } from "./git/http";
import { isError, jsonObject, metadataEntries, titleOf } from "./kit/text";
import type { Classification, Notifier, NotifyContext, OutboundRequest, ResponseSnapshot } from "./types";

/**
 * `matrix`: PUT an `m.text` message into a room. Homeserver rate limits are set by each
 * server's operator, so there is no published pace.
 */
export const matrix: Notifier = {
  type: "matrix",
  validate(s) {
    const room = !s.channel
      ? "no Matrix room: set spec.channel to the room id (!…:server)"
      : s.channel.startsWith("!")
        ? undefined
        : "spec.channel must be a Matrix room id, which starts with '!' (room aliases cannot be used)";
    return problems(httpUrlProblem(s.address), room, tokenProblem(s.token, "Matrix access token"));
  },
  format: formatMatrix,
  classify: classifyMatrix,
};

async function formatMatrix(ctx: NotifyContext): Promise<OutboundRequest> {
  const { event, settings } = ctx;
  // The transaction id is the SHA-1 of the event's Go JSON, as in Flux: every retry and every
  // redelivery of the same event reuses it, and the homeserver drops the duplicates.
  const txnId = await sha1Hex(encodeFluxEvent(event));
  const lines = metadataEntries(event)
    .map(([key, value]) => `- ${key}: ${value}\n`)
    .join("");
  const emoji = isError(event) ? "🚨" : "💫";
  return {
    method: "PUT",
    // Concatenated without escaping, as Flux does: room ids are sent verbatim.
    url: `${settings.address}/_matrix/client/r0/rooms/${settings.channel}/send/m.room.message/${txnId}`,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${settings.token}` },
    body: goJson({ body: `${emoji} ${titleOf(ctx)}\n${event.message}\n${lines}`, msgtype: "m.text" }),
  };
}

/** M_LIMIT_EXCEEDED carries `retry_after_ms` in the body; a Retry-After header takes precedence. */
function classifyMatrix(res: ResponseSnapshot): Classification {
  const base = classifyResponse(res);
  if (base.outcome !== "retry" || base.retryAfterMs !== undefined) return base;
  const retryAfter = jsonObject(res.body)?.retry_after_ms;
  if (typeof retryAfter !== "number" || !(retryAfter >= 0)) return base;
  return { ...base, retryAfterMs: Math.ceil(retryAfter) };
}
