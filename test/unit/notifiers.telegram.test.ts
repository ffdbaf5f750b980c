import { describe, expect, it } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import { goJson } from "../../src/lib/gojson";
import { escapeMarkdownV2, telegram } from "../../src/notifiers/telegram";
import type { NotifyContext, ProviderSettings } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const vectors = loadVectors("telegram");
const [info] = vectors;

const context = (event: Partial<FluxEvent> = {}, settings: Partial<ProviderSettings> = {}) =>
  vectorContext(info, { event, settings });

const request = (ctx: NotifyContext) => formatRequest(telegram, ctx);

describe("telegram vectors", () => {
  itFormatsVectors(telegram, vectors, { check: (req, v) => expect(req.body).toBe(goJson(v.expect.body)) });
});

describe("telegram MarkdownV2", () => {
  it("escapes every character Flux escapes, and only those", () => {
    expect(escapeMarkdownV2("\\.-_[]()~>`#+=|{}!*")).toBe("\\\\\\.\\-\\_\\[\\]\\(\\)\\~\\>\\`\\#\\+\\=\\|\\{\\}\\!\\*");
    expect(escapeMarkdownV2("a<b&c:d/e@f 💫")).toBe("a<b&c:d/e@f 💫");
  });

  it("sends an info event without metadata to a private chat", async () => {
    const req = await request(context({ metadata: {}, message: "Applied v1.2" }, { channel: "123456789" }));
    expect(req.body).toBe(String.raw`{"chat_id":"123456789","text":"*💫 kustomization/apps/flux\\-system*\nApplied v1\\.2\n","parse_mode":"MarkdownV2"}`);
  });

  it("escapes metadata keys and values of an error event, sorted by key", async () => {
    const req = await request(context({ severity: "error", message: "failed (exit 1)!", metadata: { "image_tag": "v1.2.3", cluster: "eu-1" } }));
    expect(JSON.parse(req.body).text).toBe(
      "*🚨 kustomization/apps/flux\\-system*\nfailed \\(exit 1\\)\\!\n\\- *cluster*: eu\\-1\n\\- *image\\_tag*: v1\\.2\\.3\n",
    );
  });

  it("omits an empty thread id as Go's omitempty does", async () => {
    const req = await request(context({}, { channel: "-100123:" }));
    expect(JSON.parse(req.body)).not.toHaveProperty("message_thread_id");
    expect(JSON.parse(req.body).chat_id).toBe("-100123");
  });

  it("ignores the address", async () => {
    const req = await request(context({}, { address: "https://example.com/elsewhere" }));
    expect(req.url).toBe("https://api.telegram.org/bot123456:ABC-DEF/sendMessage");
  });
});

describe("telegram settings", () => {
  const settings = vectorSettings(info);
  it("needs a chat id and a bot token, not an address", () => {
    expect(problemMessages(telegram.validate({ ...settings, address: "" }))).toEqual([]);
    expect(problemMessages(telegram.validate({ ...settings, channel: "", token: "" }))).toEqual([
      "no Telegram chat: set spec.channel to the chat id, or <chat id>:<topic id> for a forum topic",
      "no Telegram bot token: set the token key in the Secret referenced by spec.secretRef",
    ]);
  });
  it("refuses a token that would redirect the request, without echoing it", () => {
    const problems = problemMessages(telegram.validate({ ...settings, token: "123:abc/../../x" }));
    expect(problems).toEqual([expect.stringMatching(/token contains whitespace, '\/', '\?' or '#'/)]);
    expect(problems[0]).not.toContain("123:abc");
  });
});

describe("telegram responses", () => {
  it("classifies statuses by the shared table", () => expectStatusTable(telegram));

  it("waits parameters.retry_after seconds on flood control", () => {
    const body = '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}';
    expect(classifyWith(telegram, response(429, body))).toMatchObject({ outcome: "retry", retryAfterMs: 35_000 });
  });

  it("keeps a missing chat permanent", () => {
    const body = '{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}';
    expect(classifyWith(telegram, response(400, body))).toMatchObject({ outcome: "permanent" });
  });

  it.each([
    ["-1001234567890", 3000],
    ["-1001234567890:42", 3000],
    ["@fluxchannel", 3000],
    ["123456789", 1000],
  ])("paces chat %s every %i ms", (channel, pace) => {
    expect(telegram.paceMs?.({ ...vectorSettings(info), channel })).toBe(pace);
  });
});

describe("telegram secrets", () => {
  it("leaks no bot token", async () => {
    await expectLeaksNoSecret(telegram, context({}, { token: "987654:S3cretB0tToken" }), ["987654:S3cretB0tToken", "S3cretB0tToken"]);
  });
});
