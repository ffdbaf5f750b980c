import { describe, expect, it } from "vitest";
import type { FluxEvent } from "../../src/flux/event";
import { lark } from "../../src/notifiers/lark";
import type { NotifyContext, ProviderSettings } from "../../src/notifiers/types";
import { classifyWith, expectLeaksNoSecret, expectStatusTable, formatRequest, response } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const vectors = loadVectors("lark");
const [info] = vectors;

const context = (event: Partial<FluxEvent> = {}, settings: Partial<ProviderSettings> = {}) =>
  vectorContext(info, { event, settings });

const request = (ctx: NotifyContext) => formatRequest(lark, ctx);

describe("lark vectors", () => {
  itFormatsVectors(lark, vectors);
});

describe("lark payload", () => {
  it("sends an info event without metadata", async () => {
    const req = await request(context({ metadata: {}, message: "Applied" }));
    expect(req.body).toBe(
      String.raw`{"msg_type":"interactive","card":{"config":{"wide_screen_mode":true},"header":{"title":{"tag":"plain_text","content":"💫 kustomization/apps.flux-system"},"template":"turquoise"},"elements":[{"tag":"div","text":{"tag":"lark_md","content":"**Applied**\n\n"}}]}}`,
    );
  });

  it("sends an error event with metadata sorted by key", async () => {
    const req = await request(context({ severity: "error", message: "x < y", metadata: { revision: "r1", cluster: "eu" } }));
    expect(req.body).toBe(
      String.raw`{"msg_type":"interactive","card":{"config":{"wide_screen_mode":true},"header":{"title":{"tag":"plain_text","content":"🚨 kustomization/apps.flux-system"},"template":"red"},"elements":[{"tag":"div","text":{"tag":"lark_md","content":"**x \u003c y**\n\ncluster: eu\nrevision: r1\n"}}]}}`,
    );
  });
});

describe("lark settings", () => {
  it("needs an absolute http(s) address", () => {
    expect(problemMessages(lark.validate({ ...vectorSettings(info), address: "" }))).toEqual(["no address: set spec.address or the Secret's address key"]);
  });
});

describe("lark responses", () => {
  it("classifies statuses by the shared table", () => expectStatusTable(lark));

  it("accepts both success shapes", () => {
    expect(classifyWith(lark, response(200, '{"code":0,"data":{},"msg":"success"}'))).toEqual({ outcome: "delivered" });
    expect(classifyWith(lark, response(200, '{"Extra":null,"StatusCode":0,"StatusMessage":"success"}'))).toEqual({ outcome: "delivered" });
  });

  it("reports a refusal answered with HTTP 200, which Flux takes for success", () => {
    const body = '{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}';
    expect(classifyWith(lark, response(200, body))).toEqual({
      outcome: "permanent",
      reason: "Lark responded with error 19021: sign match fail or timestamp is not within one hour from current time",
    });
  });

  it("retries the frequency limit after the advertised reset, whatever the status", () => {
    const body = '{"code":99991400,"msg":"request trigger frequency limit"}';
    expect(classifyWith(lark, response(429, body, { "x-ogw-ratelimit-reset": "52" }))).toMatchObject({ outcome: "retry", retryAfterMs: 52_000 });
    expect(classifyWith(lark, response(400, body))).toMatchObject({ outcome: "retry" });
  });

  it("paces for 100 requests per minute", () => expect(lark.paceMs?.(vectorSettings(info))).toBe(600));
});

describe("lark secrets", () => {
  it("leaks no hook id", async () => {
    const address = "https://open.larksuite.com/open-apis/bot/v2/hook/L4rkH00kSecret";
    await expectLeaksNoSecret(lark, context({}, { address }), [address, "L4rkH00kSecret"]);
  });
});
