import { encodeFluxEvent } from "../flux/event";
import { goJson, sortedRecord } from "../lib/gojson";
import { collectProblems } from "./kit/validate";
import { accessToken, forgetAccessToken, serviceAccountKey, type AccessToken } from "./kit/google-auth";
import { base64 } from "./kit/http-auth";
import { FormatError, type Classification, type Notifier, type NotifyContext, type OutboundRequest, type ProviderSettings, type Send } from "./types";

const PUBSUB_SCOPE = "https://www.googleapis.com/auth/pubsub";

/**
 * `googlepubsub`: Flux publishes one message through the Pub/Sub gRPC SDK; the relay sends the
 * same message through the REST API (`projects.topics.publish`): data = the notified event as
 * the generic webhook sends it, attributes = the Secret's `headers` map (none when empty). Auth is
 * the service-account key in the Secret's `token`, exchanged for an access token; workload
 * identity needs Kubernetes and is not available to the relay. `format` is the publish request
 * without its bearer token, which only the exchange can obtain.
 */
export const googlePubSub: Notifier = {
  type: "googlepubsub",
  validate: (s) => collectProblems(() => topicName(s), () => serviceAccountKey(s.token)),
  format: formatPubSub,
  exchange: exchangePubSub,
};

function formatPubSub({ event, settings }: NotifyContext): OutboundRequest {
  const message: Record<string, unknown> = { data: base64(encodeFluxEvent(event)) };
  if (Object.keys(settings.headers).length > 0) message.attributes = sortedRecord(settings.headers);
  return {
    method: "POST",
    url: `https://pubsub.googleapis.com/v1/${topicName(settings)}:publish`,
    headers: { "Content-Type": "application/json" },
    body: goJson({ messages: [message] }),
  };
}

/**
 * Grant (or reuse) an access token, then publish. A cached token the API refuses with 401 is
 * dropped and the publish tried once more with a fresh one. Publishing is not idempotent: a retry
 * after a lost answer publishes the event again, as the Go SDK's own retries may.
 */
async function exchangePubSub(ctx: NotifyContext, send: Send): Promise<Classification> {
  const key = serviceAccountKey(ctx.settings.token);
  const publish = formatPubSub(ctx);
  const authorized = (token: AccessToken) => ({ ...publish, headers: { ...publish.headers, Authorization: `Bearer ${token.accessToken}` } });
  let token = await accessToken(key, PUBSUB_SCOPE, ctx.now, send);
  if (!("accessToken" in token)) return token;
  let sent = await send(authorized(token));
  if (sent.response?.status === 401 && token.cached) {
    forgetAccessToken(token);
    token = await accessToken(key, PUBSUB_SCOPE, ctx.now, send);
    if (!("accessToken" in token)) return token;
    sent = await send(authorized(token));
  }
  const c = sent.classification;
  return c.outcome === "delivered" ? c : { ...c, reason: `error publishing to GCP Pub/Sub topic ${topicName(ctx.settings)}: ${c.reason}` };
}

/** `projects/<address>/topics/<channel>`, with Flux's errors for either part missing. */
function topicName(settings: ProviderSettings): string {
  if (!settings.address) throw new FormatError("GCP project ID cannot be empty: set spec.address to the project id");
  if (!settings.channel) throw new FormatError("GCP Pub/Sub topic ID cannot be empty: set spec.channel to the topic id");
  return `projects/${encodeURIComponent(settings.address)}/topics/${encodeURIComponent(settings.channel)}`;
}
