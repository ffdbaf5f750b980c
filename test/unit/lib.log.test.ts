import { afterEach, describe, expect, it, vi } from "vitest";
import { SampledLog } from "../../src/lib/log";

afterEach(() => vi.restoreAllMocks());

function lines(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls.map((call) => JSON.parse(String(call[0])) as Record<string, unknown>);
}

describe("SampledLog", () => {
  it("logs at most perSecond lines one by one and sums the rest per label in the next second's summary", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const sampled = new SampledLog("event received", "events received not logged one by one", 3);
    const second = 1_700_000_000_000;
    for (let i = 0; i < 7; i++) sampled.info(i % 2 === 0 ? "a accepted" : "b duplicate", { i }, {}, second + i);
    expect(lines(spy)).toEqual([0, 1, 2].map((i) => ({ level: "info", msg: "event received", i })));

    sampled.info("a accepted", { i: 7 }, { cluster: "a" }, second + 1000);
    expect(lines(spy).slice(3)).toEqual([
      { level: "info", msg: "events received not logged one by one", cluster: "a", notLogged: { "b duplicate": 2, "a accepted": 2 } },
      { level: "info", msg: "event received", i: 7 },
    ]);
  });

  it("writes nothing on flush when every line was logged, and the summary once when some were not", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const sampled = new SampledLog("delivery attempt", "delivery attempts not logged one by one", 1);
    sampled.info("delivered", { n: 1 }, {}, 5_000);
    sampled.flush({ provider: "ns/p" });
    expect(lines(spy)).toHaveLength(1);
    sampled.info("delivered", { n: 2 }, {}, 5_001);
    sampled.info("skipped", { n: 3 }, {}, 5_002);
    sampled.flush({ provider: "ns/p" });
    sampled.flush({ provider: "ns/p" });
    expect(lines(spy).slice(1)).toEqual([
      { level: "info", msg: "delivery attempts not logged one by one", provider: "ns/p", notLogged: { delivered: 1, skipped: 1 } },
    ]);
  });
});
