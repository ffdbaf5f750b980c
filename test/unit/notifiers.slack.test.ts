import { describe, expect, it } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import { goJson } from "../../src/lib/gojson";
import { canThread, postedMessageTs, SLACK_POST_MESSAGE_URL, slack } from "../../src/notifiers/slack";
import type { NotifyContext, ProviderSettings } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const vectors = loadVectors("slack");
const [webhook, postMessage] = vectors;

const context = (event: Partial<FluxEvent> = {}, settings: Partial<ProviderSettings> = {}, v = webhook) =>
  vectorContext(v, { event, settings });

const request = (ctx: NotifyContext) => formatRequest(slack, ctx);

describe("slack vectors", () => {
  // Fields come out in sorted key order, which is how the vectors list them.
  itFormatsVectors(slack, vectors, { check: (req, v) => expect(req.body).toBe(goJson(v.expect.body)) });
});

describe("slack payload", () => {
  it("sends an info event without metadata with an empty fields array and no Authorization", async () => {
    const req = await request(context({ metadata: {}, message: "Applied revision" }, { channel: "" }));
    expect(req.headers).toEqual({ "Content-Type": "application/json" });
    expect(req.body).toBe(
      String.raw`{"channel":"","username":"kustomize-controller","icon_url":"","icon_emoji":"","attachments":[{"fallback":"kustomization/apps.flux-system: Applied revision","color":"good","author_name":"kustomization/apps.flux-system","text":"Applied revision","mrkdwn_in":["text"],"fields":[]}]}`,
    );
  });

  it("uses the first line as fallback, escapes like Go and sorts metadata", async () => {
    const req = await request(
      context(
        { severity: "error", message: "Apply failed\nDeployment/web <x> & y", metadata: { zeta: "last", alpha: "a&b", summary: "Prod" } },
        { username: "flux" },
      ),
    );
    expect(req.body).toBe(
      String.raw`{"channel":"general","username":"flux","icon_url":"","icon_emoji":"","attachments":[{"fallback":"kustomization/apps.flux-system: Apply failed","color":"danger","author_name":"kustomization/apps.flux-system","text":"Apply failed\nDeployment/web \u003cx\u003e \u0026 y","mrkdwn_in":["text"],"fields":[{"title":"alpha","value":"a\u0026b","short":false},{"title":"summary","value":"Prod","short":false},{"title":"zeta","value":"last","short":false}]}]}`,
    );
  });

  it("adds a Bearer token whenever one is set, also for webhooks", async () => {
    const req = await request(context({}, { token: "xoxb-999" }));
    expect(req.headers.Authorization).toBe("Bearer xoxb-999");
  });
});

describe("slack settings", () => {
  const settings = vectorSettings(webhook);
  it("needs an absolute http(s) address", () => {
    expect(problemMessages(slack.validate({ ...settings, address: "" }))).toEqual(["no address: set spec.address or the Secret's address key"]);
    expect(problemMessages(slack.validate({ ...settings, address: "hooks.slack.com/x" }))).toEqual(["invalid address: not an absolute URL"]);
  });
  it("needs a token and a channel for chat.postMessage only", () => {
    expect(problemMessages(slack.validate({ ...settings, token: "" }))).toEqual([]);
    const api = vectorSettings(postMessage);
    expect(problemMessages(slack.validate({ ...api, token: "", channel: "" }))).toEqual([
      expect.stringMatching(/chat\.postMessage needs a bot token: set the token key/),
      expect.stringMatching(/chat\.postMessage needs a channel: set spec\.channel/),
    ]);
  });
});

describe("slack responses", () => {
  it("classifies statuses by the shared table", () => expectStatusTable(slack));

  it("honours Retry-After on 429", () => {
    expect(classifyWith(slack, response(429, "rate_limited", { "Retry-After": "30" }))).toMatchObject({ outcome: "retry", retryAfterMs: 30_000 });
  });

  const postMessage = (body: string, headers: Record<string, string> = {}) => ({ ...response(200, body, headers), url: SLACK_POST_MESSAGE_URL });

  it("treats chat.postMessage ok:false as a failure", () => {
    expect(classifyWith(slack, postMessage('{"ok":false,"error":"channel_not_found"}'))).toEqual({
      outcome: "permanent",
      reason: "Slack responded with error: channel_not_found",
    });
    expect(classifyWith(slack, postMessage('{"ok":false}'))).toMatchObject({ outcome: "permanent" });
  });

  it("retries ok:false errors Slack documents as transient, honouring Retry-After", () => {
    expect(classifyWith(slack, postMessage('{"ok":false,"error":"ratelimited"}', { "Retry-After": "3" }))).toEqual({
      outcome: "retry",
      reason: "Slack responded with error: ratelimited",
      retryAfterMs: 3000,
    });
    expect(classifyWith(slack, postMessage('{"ok":false,"error":"service_unavailable"}'))).toMatchObject({ outcome: "retry" });
  });

  it("accepts webhook and API success bodies", () => {
    expect(classifyWith(slack, response(200, "ok"))).toEqual({ outcome: "delivered" });
    expect(classifyWith(slack, postMessage('{"ok":true,"channel":"C0123456","ts":"1.2"}'))).toEqual({ outcome: "delivered" });
  });

  it("reads the answer only at exactly chat.postMessage, as Flux does, and fails a non-JSON 200 there", () => {
    const elsewhere = { ...response(200, '{"ok":false,"error":"channel_not_found"}'), url: "https://hooks.slack.com/services/T/B/X" };
    expect(classifyWith(slack, elsewhere)).toEqual({ outcome: "delivered" });
    expect(classifyWith(slack, postMessage("<html>proxy</html>"))).toMatchObject({ outcome: "retry", reason: expect.stringMatching(/^unable to unmarshal response body/) });
    expect(classifyWith(slack, postMessage('{"channel":"C1"}'))).toEqual({ outcome: "permanent", reason: "Slack responded with error: (none given)" });
  });

  it("paces one message per second", () => expect(slack.paceMs?.(vectorSettings(webhook))).toBe(1000));
});

describe("slack secrets", () => {
  it("leaks neither the webhook address nor the bot token", async () => {
    await expectLeaksNoSecret(slack, context(), [webhook.provider.address, "T000/B000/XXXX"]);
    await expectLeaksNoSecret(slack, context({}, {}, postMessage), ["xoxb-123"]);
  });
});

describe("slack thread replies (flux-relay.fluxcd.io/slack-thread)", () => {
  const bot = { address: "https://slack.com/api/chat.postMessage", token: "xoxb-1", channel: "C1" };

  it("a reply adds thread_ts after Flux's fields; a recovery also reply_broadcast", async () => {
    const reply = JSON.parse((await request({ ...context({}, bot), thread: { ts: "1700000000.000100", broadcast: false } })).body);
    expect(Object.keys(reply).slice(-1)).toEqual(["thread_ts"]);
    expect(reply.thread_ts).toBe("1700000000.000100");
    expect(reply.reply_broadcast).toBeUndefined();
    const recovery = JSON.parse((await request({ ...context({}, bot), thread: { ts: "1700000000.000100", broadcast: true } })).body);
    expect(Object.keys(recovery).slice(-2)).toEqual(["thread_ts", "reply_broadcast"]);
    expect(recovery.reply_broadcast).toBe(true);
  });

  it("an incoming webhook cannot thread: the body stays Flux's", async () => {
    const plain = await request(context({}, {}));
    const withThread = await request({ ...context({}, {}), thread: { ts: "1.2", broadcast: true } });
    expect(withThread.body).toBe(plain.body);
  });
});

describe("slack thread helpers", () => {
  it("only chat.postMessage threads", () => {
    expect(canThread({ type: "slack", address: "https://slack.com/api/chat.postMessage" })).toBe(true);
    expect(canThread({ type: "slack", address: "https://slack-gov.com/api/chat.postMessage" })).toBe(true);
    expect(canThread({ type: "slack", address: "not a url" })).toBe(false);
    expect(canThread({ type: "slack", address: "https://hooks.slack.com/services/T/B/X" })).toBe(false);
    expect(canThread({ type: "rocket", address: "https://slack.com/api/chat.postMessage" })).toBe(false);
  });

  it("reads the ts of a posted message, only from a successful answer", () => {
    expect(postedMessageTs('{"ok":true,"channel":"C1","ts":"1700000000.000100"}')).toBe("1700000000.000100");
    expect(postedMessageTs('{"ok":false,"error":"channel_not_found"}')).toBeUndefined();
    expect(postedMessageTs("ok")).toBeUndefined();
  });
});
