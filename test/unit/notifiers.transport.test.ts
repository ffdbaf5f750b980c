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
});
