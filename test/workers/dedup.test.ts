import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const MIN = 60_000;

describe("DedupObject (Flux's fixed window, persisted)", () => {
  it("admits at 0, 5m01s and 10m30s only (case 34 sequence with an injected clock)", async () => {
    const stub = env.DEDUP.get(env.DEDUP.idFromName("dedup-test-34"));
    const t0 = 1_700_000_000_000;
    const seen = [];
    for (const t of [0, 4 * MIN + 59_000, 5 * MIN + 1000, 9 * MIN, 10 * MIN + 30_000]) seen.push((await stub.admit("k", 5 * MIN, t0 + t)).admitted);
    expect(seen).toEqual([true, false, true, false, true]);
  });

  it("release gives the token back within the same grid", async () => {
    const stub = env.DEDUP.get(env.DEDUP.idFromName("dedup-test-release"));
    const t0 = 1_700_000_000_000;
    const first = await stub.admit("k", 5 * MIN, t0);
    await stub.release("k", first.window);
    const retry = await stub.admit("k", 5 * MIN, t0 + 1000);
    expect(retry).toMatchObject({ admitted: true, window: 0, windowEndMs: t0 + 5 * MIN });
    expect((await stub.admit("k", 5 * MIN, t0 + 2000)).admitted).toBe(false);
  });

  it("admits a resend again until the first admission is confirmed as stored", async () => {
    const stub = env.DEDUP.get(env.DEDUP.idFromName("dedup-test-confirm"));
    const t0 = 1_700_000_000_000;
    // The first request died between admission and enqueue (a crash): its resend must not be a duplicate.
    const first = await stub.admit("k", 5 * MIN, t0, true);
    expect(await stub.admit("k", 5 * MIN, t0 + 1000, true)).toEqual({ admitted: true, window: first.window, windowEndMs: first.windowEndMs, unconfirmed: true });
    await stub.confirm("k", first.window);
    expect((await stub.admit("k", 5 * MIN, t0 + 2000, true)).admitted).toBe(false);
    expect((await stub.admit("k", 5 * MIN, t0 + 5 * MIN + 1000, true)).admitted).toBe(true);
  });

  it("forgets a key idle for more than two windows", async () => {
    const stub = env.DEDUP.get(env.DEDUP.idFromName("dedup-test-expiry"));
    const t0 = 1_700_000_000_000;
    await stub.admit("k", 5 * MIN, t0);
    const later = await stub.admit("k", 5 * MIN, t0 + 11 * MIN);
    expect(later).toMatchObject({ admitted: true, window: 0, windowEndMs: t0 + 16 * MIN });
  });
});
