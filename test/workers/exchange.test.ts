import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CaptureBox } from "../support/capture-client";
import { admin, captureBox, clearConfig, fixtureEvent, putAlert, putProvider, sendSigned, waitUntil } from "../support/workers";

/**
 * The git hosts' APIs and PagerDuty's are rooted at the origin (`/api/v4/...`, `/v2/enqueue`), so
 * a provider cannot be pointed at a capture box path. Fetch from the ProviderObject runs in this
 * isolate, so requests to a made-up host are forwarded to a box, path and query kept.
 */
function route(host: string, box: CaptureBox): void {
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    return url.host === host ? real(`${box.url}${url.pathname}${url.search}`, init) : real(input, init);
  });
}

const GITLAB = "gitlab.relay.test";
const NOTES = "/api/v4/projects/platform%2Fpodinfo/merge_requests/7/notes";
const MARKER = "<!-- flux-mr-comment-key:5e1a7b2c-0000-4000-8000-000000000001/Kustomization/flux-system/apps -->";

let uniq = 0;
const mrEvent = (changeRequest = "7") =>
  fixtureEvent({
    message: `exchange test ${++uniq}`,
    metadata: { "kustomize.toolkit.fluxcd.io/revision": "main@sha1:0123456789abcdef0123456789abcdef01234567", "event.toolkit.fluxcd.io/change_request": changeRequest },
  });

async function gitLabProvider(name: string): Promise<void> {
  // SECRET__FLUX_SYSTEM__HMAC_TOKEN carries `token: relay-out-key`, good for any token-based type.
  await putProvider(
    name,
    { type: "gitlabmergerequestcomment", address: `https://${GITLAB}/platform/podinfo`, secretRef: { name: "hmac-token" } },
    { metadata: { uid: "5e1a7b2c-0000-4000-8000-000000000001" } },
  );
  await putAlert("a", { providerRef: { name } });
}

async function history(name: string): Promise<{ outcome: string; status: number | null; error: string | null }[]> {
  return ((await (await admin(`/providers/flux-system/${name}/deliveries`)).json()) as { items: { outcome: string; status: number | null; error: string | null }[] }).items;
}

const me = { status: 200, body: JSON.stringify({ username: "relay", id: 1 }), times: 1 };

describe("ProviderObject runs a notifier's exchange as one attempt", () => {
  beforeEach(clearConfig);
  afterEach(() => vi.restoreAllMocks());

  it("creates the merge request note once, then edits it on the next event", async () => {
    const box = captureBox();
    route(GITLAB, box);
    const mine = { id: 55, author: { username: "relay" }, body: `${MARKER}\n\nold` };
    await box.program([
      me,
      { status: 200, body: "[]", times: 1 },
      { status: 201, body: "{}", times: 1 },
      me,
      { status: 200, body: JSON.stringify([{ id: 3, author: { username: "someone" }, body: MARKER }, mine]), times: 1 },
      { status: 200, body: "{}" },
    ]);
    await gitLabProvider("mr");
    expect((await sendSigned(mrEvent())).status).toBe(202);
    await box.waitFor(3);
    expect((await sendSigned(mrEvent())).status).toBe(202);
    const reqs = await box.waitFor(6);
    expect(reqs.map((r) => `${r.method} ${r.path.replace(`/box/${box.id}`, "")}`)).toEqual([
      "GET /api/v4/user",
      `GET ${NOTES}?order_by=created_at&per_page=100&sort=asc`,
      `POST ${NOTES}`,
      "GET /api/v4/user",
      `GET ${NOTES}?order_by=created_at&per_page=100&sort=asc`,
      `PUT ${NOTES}/55`,
    ]);
    expect(reqs[2].headers["private-token"]).toBe("relay-out-key");
    expect(JSON.parse(reqs[5].body).body.startsWith(`${MARKER}\n\n## Flux Status\n\n`)).toBe(true);
    const delivered = await waitUntil(async () => ((await history("mr")).length === 2 ? history("mr") : undefined));
    expect(delivered.map((d) => [d.outcome, d.status])).toEqual([["delivered", 200], ["delivered", 201]]);
  });

  it("retries the whole exchange, which edits the note a lost answer had created", async () => {
    const box = captureBox();
    route(GITLAB, box);
    await box.program([
      me,
      { status: 200, body: "[]", times: 1 },
      { status: 503, body: "upstream timeout", times: 1 },
      me,
      { status: 200, body: JSON.stringify([{ id: 8, author: { username: "relay" }, body: `${MARKER}\n\nfirst try` }]), times: 1 },
      { status: 200, body: "{}" },
    ]);
    await gitLabProvider("retry");
    await sendSigned(mrEvent());
    const reqs = await box.waitFor(6, 10_000);
    expect(reqs.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(`${reqs[5].method} ${reqs[5].path}`).toBe(`PUT /box/${box.id}${NOTES}/8`);
    const records = await waitUntil(async () => ((await history("retry")).length === 2 ? history("retry") : undefined));
    expect(records.map((d) => d.outcome)).toEqual(["delivered", "retried"]);
    expect(records[1]).toMatchObject({ status: 503, error: "failed to create merge request note: HTTP 503: upstream timeout" });
  });

  it("dead-letters an event the exchange refuses, without a request", async () => {
    const box = captureBox();
    route(GITLAB, box);
    await gitLabProvider("bad");
    await sendSigned(mrEvent("seven"));
    const letters = await waitUntil(async () => {
      const items = ((await (await admin("/providers/flux-system/bad/deadletters")).json()) as { items: { reason: string }[] }).items;
      return items.length ? items : undefined;
    });
    expect(letters[0].reason).toBe('invalid "change_request" metadata value "seven": strconv.ParseInt: parsing "seven": invalid syntax');
    expect(await box.requests()).toEqual([]);
  });

  it("sends PagerDuty's resolve and change event in one delivery", async () => {
    const box = captureBox();
    route("events.pagerduty.relay.test", box);
    await putProvider("pd", { type: "pagerduty", address: "https://events.pagerduty.relay.test", channel: "R0UTINGKEY" });
    await putAlert("a", { providerRef: { name: "pd" } });
    await sendSigned(fixtureEvent({ message: `exchange test ${++uniq}` }));
    const reqs = await box.waitFor(2);
    expect(reqs.map((r) => r.path.replace(`/box/${box.id}`, ""))).toEqual(["/v2/enqueue", "/v2/change/enqueue"]);
    expect(JSON.parse(reqs[1].body).routing_key).toBe("R0UTINGKEY");
    const records = await waitUntil(async () => ((await history("pd")).length ? history("pd") : undefined));
    expect(records.map((d) => d.outcome)).toEqual(["delivered"]);
  });
});
