import { describe, expect, it } from "vitest";
import { runExchange } from "../../src/notifiers/transport";
import { FormatError, type ExchangeNotifier, type NotifyContext, type OutboundRequest } from "../../src/notifiers/types";
import { loadVectors, notifiedEvent, vectorSettings } from "../support/vectors";

const v = loadVectors("generic")[0];
const ctx: NotifyContext = { event: notifiedEvent(v), settings: vectorSettings(v), now: Date.parse("2026-01-15T10:20:30Z") };

function get(url: string, extra: Partial<OutboundRequest> = {}): OutboundRequest {
  return { method: "GET", url, headers: {}, body: "", ...extra };
}

/** A notifier whose exchange is the given function; everything else is inert. */
function conversing(exchange: ExchangeNotifier["exchange"]): ExchangeNotifier {
  return { type: "generic", validate: () => [], format: () => ({ skip: "unused" }), exchange };
}

/** A fetch that answers from a table keyed by URL and records what it was asked. */
function fakeFetch(answers: Record<string, () => Response | Promise<Response>>) {
  const calls: { url: string; method: string; signal?: AbortSignal | null }[] = [];
  const fetcher = (async (url: string, init: RequestInit) => {
    calls.push({ url, method: String(init.method), signal: init.signal });
    const answer = answers[url];
    if (!answer) throw new TypeError("connection refused");
    return answer();
  }) as unknown as typeof fetch;
  return { fetcher, calls };
}

describe("runExchange", () => {
  it("hands each answer to the exchange and reports the last status and the summed latency", async () => {
    const { fetcher, calls } = fakeFetch({
      "https://api.test/who": () => new Response('{"login":"relay"}', { status: 200 }),
      "https://api.test/post": () => new Response("", { status: 201 }),
    });
    const notifier = conversing(async (_ctx, send) => {
      const who = await send(get("https://api.test/who"));
      expect(JSON.parse(who.response!.body)).toEqual({ login: "relay" });
      return (await send(get("https://api.test/post", { method: "POST" }))).classification;
    });
    const outcome = await runExchange(notifier, ctx, 15_000, [], fetcher);
    expect(outcome).toMatchObject({ classification: { outcome: "delivered" }, status: 201, sent: true });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(["GET https://api.test/who", "POST https://api.test/post"]);
  });

  it("reports a skip as delivered, and whether anything was sent before it", async () => {
    const { fetcher } = fakeFetch({ "https://api.test/who": () => new Response("{}") });
    expect(await runExchange(conversing(async () => ({ skip: "nothing to say" })), ctx, 1000, [], fetcher)).toMatchObject({
      classification: { outcome: "delivered" },
      skipped: "nothing to say",
      sent: false,
    });
    const afterLook = conversing(async (_ctx, send) => (await send(get("https://api.test/who")), { skip: "already said" }));
    expect(await runExchange(afterLook, ctx, 1000, [], fetcher)).toMatchObject({ skipped: "already said", sent: true, status: 200 });
  });

  it("redacts secrets from the exchange's own reasons and from each step's", async () => {
    const { fetcher } = fakeFetch({ "https://api.test/who": () => new Response("token s3cr3t-value refused", { status: 401 }) });
    const notifier = conversing(async (_ctx, send) => {
      const who = await send(get("https://api.test/who"));
      expect(who.classification).toEqual({ outcome: "permanent", reason: "HTTP 401: token ***** refused" });
      return { outcome: "permanent", reason: "gave up with s3cr3t-value" };
    });
    const outcome = await runExchange(notifier, ctx, 1000, ["s3cr3t-value"], fetcher);
    expect(outcome.classification).toEqual({ outcome: "permanent", reason: "gave up with *****" });
  });

  it("bounds the whole exchange by the provider timeout, not each step", async () => {
    const { fetcher, calls } = fakeFetch({
      "https://api.test/slow": () => new Promise((resolve) => setTimeout(() => resolve(new Response("{}")), 80)),
    });
    const notifier = conversing(async (_ctx, send) => {
      await send(get("https://api.test/slow"));
      return (await send(get("https://api.test/slow"))).classification;
    });
    const outcome = await runExchange(notifier, ctx, 50, [], fetcher);
    expect(outcome.classification).toMatchObject({ outcome: "retry", reason: expect.stringContaining("timeout") });
    expect(calls).toHaveLength(1);
  });

  it("reads as much of an answer as the request asks for", async () => {
    const big = "x".repeat(100 * 1024);
    const { fetcher } = fakeFetch({ "https://api.test/list": () => new Response(big) });
    const lengths: number[] = [];
    const notifier = conversing(async (_ctx, send) => {
      lengths.push((await send(get("https://api.test/list"))).response!.body.length);
      lengths.push((await send(get("https://api.test/list", { readLimit: 1024 * 1024 }))).response!.body.length);
      return { outcome: "delivered" };
    });
    await runExchange(notifier, ctx, 1000, [], fetcher);
    expect(lengths).toEqual([64 * 1024, big.length]);
  });

  it("lets a FormatError through, as format does", async () => {
    const notifier = conversing(async () => {
      throw new FormatError("invalid change_request");
    });
    await expect(runExchange(notifier, ctx, 1000, [])).rejects.toThrow(FormatError);
  });

  it("turns a connection error into a retry without a status", async () => {
    const { fetcher } = fakeFetch({});
    const notifier = conversing(async (_ctx, send) => (await send(get("https://api.test/down"))).classification);
    const outcome = await runExchange(notifier, ctx, 1000, [], fetcher);
    expect(outcome).toMatchObject({ classification: { outcome: "retry", reason: "connection error: connection refused" }, sent: true });
    expect(outcome.status).toBeUndefined();
  });
});
