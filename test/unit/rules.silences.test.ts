import { describe, expect, it } from "vitest";
import { expireSilence, globMatches, matchingSilence, newSilence, silenceInputSchema, silencePrefill, silenceState, silenceViews, type Silence } from "../../src/rules/silences";
import { eventE } from "./flux.fixtures";

const HOUR = 3_600_000;
const NOW = Date.parse("2026-12-03T18:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

function silence(matchers: Silence["matchers"], opts: { id?: string; startsAt?: number; endsAt?: number } = {}): Silence {
  const input = silenceInputSchema.parse({ matchers, startsAt: iso(opts.startsAt ?? NOW), endsAt: iso(opts.endsAt ?? NOW + HOUR), comment: `comment of ${opts.id ?? "s"}` });
  return newSilence(input, opts.id ?? "s", NOW);
}

describe("globMatches", () => {
  it.each([
    ["prod-*", "prod-eu", true],
    ["prod-*", "prod-", true],
    ["prod-*", "staging-eu", false],
    ["*-eu-*", "prod-eu-1", true],
    ["*-eu-*", "prod-us-1", false],
    ["*", "", true],
    ["web", "web", true],
    ["web", "web2", false],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "aXbY", false],
    ["**", "anything", true],
    ["p.d", "prd", false],
  ])("%s ~ %s = %s", (pattern, value, expected) => {
    expect(globMatches(pattern, value)).toBe(expected);
  });

  it("stays fast on a pattern of many stars against a long non-matching value", () => {
    const started = performance.now();
    expect(globMatches("*a".repeat(100) + "b", "a".repeat(10_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("silence matching", () => {
  const failing = eventE({ severity: "error", message: "Helm upgrade failed: timed out waiting for the condition", involvedObject: { kind: "HelmRelease", namespace: "apps", name: "web" } });

  it("every matcher must match: globs on cluster/kind/namespace/name/severity, RE2 on the message", () => {
    expect(matchingSilence([silence({ cluster: "prod-*" })], "prod-eu", failing, NOW)).toEqual({ id: "s", comment: "comment of s" });
    expect(matchingSilence([silence({ cluster: "prod-*" })], "staging", failing, NOW)).toBeUndefined();
    expect(matchingSilence([silence({ cluster: "prod-*", name: "api" })], "prod-eu", failing, NOW)).toBeUndefined();
    expect(matchingSilence([silence({ kind: "Helm*", namespace: "apps", severity: "error" })], "c", failing, NOW)).toBeDefined();
    expect(matchingSilence([silence({ message: "(?i)UPGRADE FAILED" })], "c", failing, NOW)).toBeDefined();
    expect(matchingSilence([silence({ message: "^timed out" })], "c", failing, NOW)).toBeUndefined();
    // RE2 syntax JS RegExp lacks: a POSIX class.
    expect(matchingSilence([silence({ message: "timed out [[:alpha:]]+" })], "c", failing, NOW)).toBeDefined();
  });

  it("only an active silence mutes: not before startsAt, not at or after endsAt", () => {
    const s = silence({ name: "web" }, { startsAt: NOW + HOUR, endsAt: NOW + 2 * HOUR });
    expect(silenceState(s, NOW)).toBe("pending");
    expect(matchingSilence([s], "c", failing, NOW)).toBeUndefined();
    expect(matchingSilence([s], "c", failing, NOW + HOUR)).toBeDefined();
    expect(matchingSilence([s], "c", failing, NOW + 2 * HOUR - 1)).toBeDefined();
    expect(matchingSilence([s], "c", failing, NOW + 2 * HOUR)).toBeUndefined();
    expect(silenceState(s, NOW + 2 * HOUR)).toBe("expired");
  });

  it("of several matching silences, the reason names the one that ends last", () => {
    const hit = matchingSilence([silence({ name: "web" }, { id: "short" }), silence({ kind: "HelmRelease" }, { id: "long", endsAt: NOW + 5 * HOUR })], "c", failing, NOW);
    expect(hit?.id).toBe("long");
  });

  it("a startsAt in the past starts now; expiring sets endsAt (and startsAt of a pending one) to now", () => {
    const past = newSilence(silenceInputSchema.parse({ matchers: { name: "x" }, startsAt: iso(NOW - HOUR), endsAt: iso(NOW + HOUR), comment: "c" }), "p", NOW);
    expect(past.startsAt).toBe(iso(NOW));
    const pending = silence({ name: "x" }, { startsAt: NOW + HOUR, endsAt: NOW + 2 * HOUR });
    const expired = expireSilence(pending, NOW + 60_000);
    expect(expired).toMatchObject({ startsAt: iso(NOW + 60_000), endsAt: iso(NOW + 60_000) });
    expect(silenceState(expired, NOW + 60_000)).toBe("expired");
    expect(expireSilence(expired, NOW + HOUR)).toBe(expired);
  });

  it("lists active first, then pending, then expired", () => {
    const views = silenceViews([
      expireSilence(silence({ name: "a" }, { id: "expired" }), NOW),
      silence({ name: "b" }, { id: "pending", startsAt: NOW + HOUR, endsAt: NOW + 2 * HOUR }),
      silence({ name: "c" }, { id: "active" }),
    ], NOW);
    expect(views.map((v) => `${v.id}:${v.status.state}`)).toEqual(["active:active", "pending:pending", "expired:expired"]);
  });

  it("prefills a silence for one object of one cluster, two hours long", () => {
    expect(silencePrefill("prod-eu", { kind: "HelmRelease", namespace: "apps", name: "web" }, NOW)).toEqual({
      matchers: { cluster: "prod-eu", kind: "HelmRelease", namespace: "apps", name: "web" },
      endsAt: iso(NOW + 2 * HOUR),
    });
  });
});
