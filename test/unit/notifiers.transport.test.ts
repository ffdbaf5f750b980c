import { describe, expect, it } from "vitest";
import { generic } from "../../src/notifiers/generic";
import { sendRequest } from "../../src/notifiers/transport";

describe("sendRequest", () => {
  it("gives up at once on a request fetch refuses, so it cannot block the queue behind it", async () => {
    let sent = false;
    const fetcher = (async () => {
      sent = true;
      return new Response("{}");
    }) as typeof fetch;
    // A signed event may carry a newline in reportingController, which the generic type sends as Gotk-Component.
    const out = await sendRequest(generic, { method: "POST", url: "http://127.0.0.1:9/hook", headers: { "Gotk-Component": "kustomize\ncontroller" }, body: "{}" }, 1000, [], fetcher);
    expect(out.classification.outcome).toBe("permanent");
    expect(out.classification.outcome === "permanent" && out.classification.reason).toMatch(/^invalid request: /);
    expect(sent).toBe(false);
  });

  it("turns credentials in the URL into Basic auth for any type, unless the request has Authorization (Go's net/http)", async () => {
    const seen: { url: string; authorization: string | null }[] = [];
    const fetcher = (async (url: string, init: RequestInit) => {
      seen.push({ url, authorization: new Headers(init.headers).get("authorization") });
      return new Response("{}");
    }) as typeof fetch;
    const req = (headers: Record<string, string>) => ({ method: "POST" as const, url: "https://flux%40ops:p%3Ass@hooks.example.com/x?y=1", headers, body: "{}" });
    expect((await sendRequest(generic, req({}), 1000, [], fetcher)).classification.outcome).toBe("delivered");
    expect((await sendRequest(generic, req({ authorization: "Bearer own" }), 1000, [], fetcher)).classification.outcome).toBe("delivered");
    expect(seen).toEqual([
      { url: "https://hooks.example.com/x?y=1", authorization: `Basic ${btoa("flux@ops:p:ss")}` },
      { url: "https://hooks.example.com/x?y=1", authorization: "Bearer own" },
    ]);
  });

  it("keeps URL credentials out of failure reasons", async () => {
    const fetcher = (async () => new Response("denied for hunter22", { status: 401 })) as typeof fetch;
    const out = await sendRequest(generic, { method: "POST", url: "https://ops:hunter22@hooks.example.com/x", headers: {}, body: "{}" }, 1000, [], fetcher);
    expect(out.classification).toEqual({ outcome: "permanent", reason: "HTTP 401: denied for *****" });
  });
});
