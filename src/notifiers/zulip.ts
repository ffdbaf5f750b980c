import { collectProblems, httpUrlProblem, problems } from "./kit/validate";
import { basicAuth, splitUserinfo } from "./kit/http-auth";
import { formatMarkdownPost } from "./kit/markdown";
import { goQueryEscape } from "./kit/go-strings";
import { FormatError, type Notifier, type NotifyContext, type OutboundRequest } from "./types";

/**
 * `zulip`: a stream message through `POST <server>/api/v1/messages` (form-encoded, as Zulip's
 * API takes it), authenticated by HTTP Basic with the bot's email (`username`) and API key
 * (`password`). The address names the server: Flux replaces its path. The channel is
 * `<stream>/<topic>`; the content is Flux's Markdown post.
 */
export const zulip: Notifier = {
  type: "zulip",
  validate: (s) => [...problems(httpUrlProblem(s.address)), ...collectProblems(() => streamAndTopic(s.channel))],
  format: formatZulip,
};

function formatZulip({ event, settings }: NotifyContext): OutboundRequest {
  const [stream, topic] = streamAndTopic(settings.channel);
  const url = new URL(settings.address);
  url.pathname = "/api/v1/messages";
  // postMessage's withBasicAuth: Basic as soon as either half is set.
  const own = settings.username || settings.password ? basicAuth(settings.username, settings.password) : undefined;
  const { url: address, authorization } = splitUserinfo(url.href, own);
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
  if (authorization) headers.Authorization = authorization;
  // url.Values.Encode: keys in sorted order.
  const form: [string, string][] = [
    ["content", formatMarkdownPost(event)],
    ["to", stream],
    ["topic", topic],
    ["type", "stream"],
  ];
  return { method: "POST", url: address, headers, body: form.map(([k, v]) => `${goQueryEscape(k)}=${goQueryEscape(v)}`).join("&") };
}

/** Flux's `strings.SplitN(channel, "/", 2)`: the stream, then the topic (which may contain `/`). */
function streamAndTopic(channel: string): [string, string] {
  const slash = channel.indexOf("/");
  const stream = slash < 0 ? "" : channel.slice(0, slash);
  const topic = slash < 0 ? "" : channel.slice(slash + 1);
  if (!stream || !topic) {
    throw new FormatError(`invalid Zulip channel format, expected <channel>/<topic>, got '${channel}': set spec.channel to the stream and topic, e.g. flux/deployments`);
  }
  return [stream, topic];
}
