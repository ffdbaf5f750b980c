import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { providerStub } from "../../src/delivery/provider-stub";
import type { CapturedRequest } from "../support/capture-server";
import { admin, captureBox, clearConfig, fixtureEvent, putAlert, putProvider, sendSigned, storedEvent } from "../support/workers";

/**
 * The pace is measured by the capture server, in another process. The relay sends the next request
 * only when its own clock says `pace` ms have passed since the previous response arrived, and that
 * response was written after the server stamped the previous request; both processes read the same
 * wall clock in whole milliseconds. So a gap can fall short of the pace only by clock rounding
 * (under 1 ms per stamp); 2 ms covers that, and anything more would be a pacing bug.
 */
const CLOCK_TOLERANCE_MS = 2;

const messageOf = (req: CapturedRequest): string => JSON.parse(req.body).attachments[0].text;
const gapsOf = (reqs: CapturedRequest[]): number[] => reqs.slice(1).map((r, i) => r.at - reqs[i].at);

async function slackProvider(name: string, annotations?: Record<string, string>) {
  const box = captureBox();
  // Any address but chat.postMessage is an incoming webhook for the slack type (slack.ts validate).
  await putProvider(name, { type: "slack", address: box.url }, { metadata: annotations ? { annotations } : {} });
  await putAlert(name, { providerRef: { name } });
  return box;
}

describe("per-provider pace (flux-relay.fluxcd.io/min-interval)", () => {
  beforeEach(clearConfig);

  it("paces a burst of 50 Slack events at min-interval 100ms: all delivered, in order", async () => {
    const box = await slackProvider("paced", { "flux-relay.fluxcd.io/min-interval": "100ms" });
    const sent = Array.from({ length: 50 }, (_, i) => `pacing burst ${i}`);
    // One enqueue stores the whole burst at once, so every gap is the pacer's decision, not the
    // time the test (or a loaded machine) needs to post 50 hooks.
    const ref = { namespace: "flux-system", name: "paced" };
    const cluster = `pacing-${crypto.randomUUID().slice(0, 8)}`;
    const queued = await providerStub(env, ref).enqueue(ref, sent.map((message, i) => ({
      id: `${cluster}/${i + 1}/flux-system/paced`,
      cluster,
      alert: { namespace: "flux-system", name: "paced" },
      event: JSON.stringify(storedEvent(message, { revision: "main@sha1:0123456789abcdef0123456789abcdef01234567" })),
      receivedAt: Date.now(),
    })));
    expect(queued).toEqual({ queued: 50, dropped: 0, refused: 0 });
    await box.waitFor(sent.length, 15_000);
    // Long enough for a duplicate or a stray 51st request to show up.
    await new Promise((r) => setTimeout(r, 300));
    const all = await box.requests();
    expect(all.map(messageOf)).toEqual(sent);
    const gaps = gapsOf(all).sort((a, b) => a - b);
    expect(gaps[0]).toBeGreaterThanOrEqual(100 - CLOCK_TOLERANCE_MS);
    // The override replaces Slack's 1000 ms rather than adding to it.
    expect(gaps[gaps.length >> 1]).toBeLessThan(1000);
    console.log(`[pacing] 50 events at 100ms: gaps min ${gaps[0]} ms, median ${gaps[gaps.length >> 1]} ms, max ${gaps.at(-1)} ms, span ${all.at(-1)!.at - all[0].at} ms`);
  });

  it("applies Slack's own 1000 ms pace without the annotation", async () => {
    const box = await slackProvider("default-pace");
    for (const message of ["default pace 1", "default pace 2"]) expect((await sendSigned(fixtureEvent({ message }))).status).toBe(202);
    const reqs = await box.waitFor(2, 5000);
    expect(reqs.map(messageOf)).toEqual(["default pace 1", "default pace 2"]);
    expect(reqs[1].at - reqs[0].at).toBeGreaterThanOrEqual(1000 - CLOCK_TOLERANCE_MS);
    console.log(`[pacing] default Slack pace: gap ${reqs[1].at - reqs[0].at} ms`);
  });

  it.each([["fast"], ["-1s"], ["1d"], ["2h"]])("refuses min-interval %j with a problem naming the annotation", async (value) => {
    const res = await admin("/providers/flux-system/bad-pace", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
        kind: "Provider",
        metadata: { name: "bad-pace", namespace: "flux-system", annotations: { "flux-relay.fluxcd.io/min-interval": value } },
        spec: { type: "slack", address: "https://hooks.slack.com/services/T/B/X" },
      }),
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { details: string[] };
    expect(body.details).toEqual([
      `metadata.annotations.flux-relay.fluxcd.io/min-interval: must be a duration from 0s to 1h such as 1s or 250ms (units ms, s, m, h), got ${JSON.stringify(value)}`,
    ]);
  });

  it("lists an invalid min-interval written straight to KV among the invalid providers", async () => {
    await putProvider("stored-bad-pace", { type: "slack", address: "https://hooks.slack.com/services/T/B/X" }, {
      metadata: { annotations: { "flux-relay.fluxcd.io/min-interval": "soon" } },
    });
    const res = await admin("/providers");
    const { invalid } = (await res.json()) as { invalid: { key: string; details: string[] }[] };
    expect(invalid).toEqual([
      expect.objectContaining({ key: "providers/flux-system/stored-bad-pace", details: [expect.stringMatching(/^metadata\.annotations\.flux-relay\.fluxcd\.io\/min-interval: /)] }),
    ]);
  });
});
