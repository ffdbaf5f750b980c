import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_BODY_BYTES } from "../../src/ingress/hook";
import { fixtureEvent } from "../support/workers";
import { boxTarget, deliveredOnce, freshRelay, notDelivered, post, putA, putP } from "../support/routing-cases";

// event-routing-spec section 10, cases 54-57: what the ingress decodes, refuses and how.

const ONE = { status: 202, body: { accepted: 1, duplicate: false } };

beforeEach(freshRelay);
afterEach(() => vi.restoreAllMocks());

describe("decoding", () => {
  it("case 54: a body that is not JSON gets 400, nothing is delivered and the limiter is untouched", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    // E's own JSON plus trailing garbage: had the limiter seen it, E below would be a duplicate.
    const res = await post(`${JSON.stringify(fixtureEvent())} trailing`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: expect.stringContaining("not valid JSON") });
    await notDelivered(p);
    expect(await post(fixtureEvent())).toEqual(ONE);
    await deliveredOnce(p);
  });

  it("case 55: a body of 3,145,729 bytes (3 MiB + 1) gets 413 (the relay's own limit is lower, MAX_BODY_BYTES)", async () => {
    expect(MAX_BODY_BYTES).toBeLessThan(3_145_729);
    const base = JSON.stringify(fixtureEvent({ message: "" }));
    const body = base.replace('"message":""', `"message":"${"x".repeat(3_145_729 - base.length)}"`);
    expect(body.length).toBe(3_145_729);
    const res = await post(body);
    expect(res.status).toBe(413);
  });

  it("case 56: timestamp \"\" gets 400 naming the field", async () => {
    const res = await post(fixtureEvent({ timestamp: "" }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: expect.stringContaining("timestamp") });
  });

  it("case 57: JSON key \"Message\" is the message (Go decodes field names case-insensitively)", async () => {
    const p = boxTarget();
    await putP(p);
    await putA();
    const { message, ...rest } = fixtureEvent();
    expect(await post({ ...rest, Message: message })).toEqual(ONE);
    expect((await deliveredOnce(p)).message).toBe(message);
  });
});
