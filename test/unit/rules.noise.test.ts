import { describe, expect, it } from "vitest";
import { parseManifest, type AlertManifest } from "../../src/flux/manifests";
import { decideNotice, noiseKey, noisePolicy, type NoiseState, type SilenceHit } from "../../src/rules/noise";

const MIN = 60_000;

/** Annotations as they come out of a parsed Alert manifest. */
function annotationsOf(annotations: Record<string, string>): Record<string, string> | undefined {
  return alertWith(annotations).metadata.annotations;
}

function alertWith(annotations: Record<string, string>): AlertManifest {
  return parseManifest("Alert", {
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    metadata: { name: "a", namespace: "flux-system", annotations },
    spec: { providerRef: { name: "p" }, eventSources: [{ kind: "HelmRelease", name: "*" }] },
  });
}

type Step = { severity: "info" | "error"; minute: number; silence?: SilenceHit };

/** ok, error x5, ok, error, ok: one event every 5 minutes. */
const SCRIPT: Step[] = ["info", "error", "error", "error", "error", "error", "info", "error", "info"].map((severity, i) => ({
  severity: severity as Step["severity"],
  minute: i * 5,
}));

/** Runs a script through one key's state; each entry is `<index>:<transition or ->` for a delivery, `<index>!<reason>` otherwise. */
function run(annotations: Record<string, string>, script: Step[]): string[] {
  const { policy, problems } = noisePolicy(annotationsOf(annotations));
  expect(problems).toEqual([]);
  let state: NoiseState | undefined;
  return script.map((step, i) => {
    const { verdict, next } = decideNotice({ policy, previous: state, severity: step.severity, now: step.minute * MIN, silence: step.silence });
    state = next;
    if (verdict.deliver) return `${i}:${verdict.transition ?? "-"}`;
    return `${i}!${verdict.outcome} ${verdict.reason}`;
  });
}

const delivered = (lines: string[]) => lines.filter((l) => l.includes(":") && !l.includes("!"));

describe("noise control: scripted sequences", () => {
  it("notify: all (default) delivers everything, with the transition of each notice", () => {
    expect(run({}, SCRIPT)).toEqual([
      "0:-", "1:failing", "2:still-failing", "3:still-failing", "4:still-failing", "5:still-failing", "6:recovered", "7:failing", "8:recovered",
    ]);
  });

  it("notify: changes delivers failures and recoveries only", () => {
    expect(run({ "flux-relay.fluxcd.io/notify": "changes" }, SCRIPT)).toEqual([
      "0!suppressed notify: changes", "1:failing", "2!suppressed notify: changes", "3!suppressed notify: changes", "4!suppressed notify: changes",
      "5!suppressed notify: changes", "6:recovered", "7:failing", "8:recovered",
    ]);
  });

  it("notify: changes with repeat-interval 15m reminds with the first error 15 minutes after the last notice", () => {
    const lines = run({ "flux-relay.fluxcd.io/notify": "changes", "flux-relay.fluxcd.io/repeat-interval": "15m" }, SCRIPT);
    // Notice at minute 5; errors at 10 and 15 are inside the interval; the one at 20 is the reminder; 25 is 5 minutes after it.
    expect(delivered(lines)).toEqual(["1:failing", "4:still-failing", "6:recovered", "7:failing", "8:recovered"]);
    expect(lines[2]).toBe("2!suppressed repeat-interval 15m");
    expect(lines[5]).toBe("5!suppressed repeat-interval 15m");
  });

  it("threshold 3/10m: failing at the third error within 10 minutes, earlier ones suppressed; a lone error after recovery stays below it", () => {
    const lines = run({ "flux-relay.fluxcd.io/threshold": "3/10m" }, SCRIPT);
    expect(lines).toEqual([
      "0:-", "1!suppressed threshold 3/10m", "2!suppressed threshold 3/10m", "3:failing", "4:still-failing", "5:still-failing",
      "6:recovered", "7!suppressed threshold 3/10m", "8:-",
    ]);
  });

  it("threshold with notify: changes: one failure and one recovery", () => {
    const lines = run({ "flux-relay.fluxcd.io/threshold": "3/10m", "flux-relay.fluxcd.io/notify": "changes" }, SCRIPT);
    expect(delivered(lines)).toEqual(["3:failing", "6:recovered"]);
    expect(lines[8]).toBe("8!suppressed notify: changes");
  });

  it("threshold: errors too far apart never reach it", () => {
    const slow: Step[] = [0, 6, 12, 18].map((minute) => ({ severity: "error", minute }));
    expect(delivered(run({ "flux-relay.fluxcd.io/threshold": "3/10m" }, slow))).toEqual([]);
  });

  it("a flapping Kustomization (docs/noise-control.md): the threshold counts errors across the info events between them", () => {
    const flapping: Step[] = Array.from({ length: 10 }, (_, i) => ({ severity: i % 2 === 0 ? "error" : "info", minute: i }));
    expect(delivered(run({}, flapping))).toHaveLength(10);
    expect(delivered(run({ "flux-relay.fluxcd.io/notify": "changes" }, flapping))).toHaveLength(10);
    // Failing at the third error (minute 4), recovered at 5; the count starts again after a recovery.
    expect(delivered(run({ "flux-relay.fluxcd.io/threshold": "3/10m", "flux-relay.fluxcd.io/notify": "changes" }, flapping))).toEqual(["4:failing", "5:recovered"]);
  });

  it("the HelmRelease failing every 5 minutes for 3 hours (docs/noise-control.md): counts per setting", () => {
    const hours3: Step[] = [
      ...Array.from({ length: 36 }, (_, i) => ({ severity: "error" as const, minute: i * 5 })),
      { severity: "info", minute: 180 },
    ];
    const count = (a: Record<string, string>) => delivered(run(a, hours3)).length;
    expect(count({})).toBe(37);
    expect(count({ "flux-relay.fluxcd.io/notify": "changes" })).toBe(2);
    // Notices at 0, 60, 120 (reminders), then the recovery.
    expect(delivered(run({ "flux-relay.fluxcd.io/notify": "changes", "flux-relay.fluxcd.io/repeat-interval": "1h" }, hours3))).toEqual([
      "0:failing", "12:still-failing", "24:still-failing", "36:recovered",
    ]);
    expect(count({ "flux-relay.fluxcd.io/notify": "changes", "flux-relay.fluxcd.io/threshold": "3/15m" })).toBe(2);
    expect(count({ "flux-relay.fluxcd.io/threshold": "3/15m" })).toBe(35);
  });
});

describe("noise control: silences", () => {
  const silence = { id: "s1", comment: "maintenance" };

  it("a silence mutes what would be delivered; a failure that began under it is announced by its next error", () => {
    const script: Step[] = [
      { severity: "error", minute: 0, silence },
      { severity: "error", minute: 5, silence },
      { severity: "error", minute: 10 },
      { severity: "info", minute: 15 },
    ];
    expect(run({ "flux-relay.fluxcd.io/notify": "changes" }, script)).toEqual([
      // The second error would still be news to the destination, so the silence holds it back too.
      "0!silenced silence s1: maintenance", "1!silenced silence s1: maintenance", "2:failing", "3:recovered",
    ]);
  });

  it("with notify: changes, the recovery of a failure that was never announced is not announced", () => {
    const script: Step[] = [
      { severity: "error", minute: 0, silence },
      { severity: "info", minute: 5 },
    ];
    expect(run({ "flux-relay.fluxcd.io/notify": "changes" }, script)).toEqual(["0!silenced silence s1: maintenance", "1!suppressed notify: changes"]);
  });

  it("with notify: all every muted event is silenced and the next one carries the transition the destination missed", () => {
    const script: Step[] = [
      { severity: "error", minute: 0 },
      { severity: "info", minute: 5, silence },
      { severity: "info", minute: 10 },
    ];
    expect(run({}, script)).toEqual(["0:failing", "1!silenced silence s1: maintenance", "2:recovered"]);
  });
});

describe("noise control: state kept", () => {
  it("forgets a key once the object is ok and nothing is pending, so the state table holds only failing objects", () => {
    const { policy } = noisePolicy(annotationsOf({ "flux-relay.fluxcd.io/notify": "changes" }));
    const failing = decideNotice({ policy, previous: undefined, severity: "error", now: 0 });
    expect(failing.next).toMatchObject({ state: "failing", notified: "failing", lastNotifiedAt: 0 });
    expect(decideNotice({ policy, previous: failing.next, severity: "info", now: MIN }).next).toBeUndefined();
    expect(decideNotice({ policy, previous: undefined, severity: "info", now: MIN }).next).toBeUndefined();
  });

  it("keys name the Alert, the cluster and the object", () => {
    const a = noiseKey({ namespace: "flux-system", name: "a" }, "prod-eu", { kind: "HelmRelease", namespace: "apps", name: "web" });
    const b = noiseKey({ namespace: "flux-system", name: "a" }, "prod-us", { kind: "HelmRelease", namespace: "apps", name: "web" });
    expect(a).toBe("flux-system/a/prod-eu/HelmRelease/apps/web");
    expect(a).not.toBe(b);
  });
});

describe("noise control: annotations", () => {
  it("parses every annotation", () => {
    const { policy, problems } = noisePolicy(annotationsOf({
      "flux-relay.fluxcd.io/notify": "changes",
      "flux-relay.fluxcd.io/repeat-interval": "1h30m",
      "flux-relay.fluxcd.io/threshold": "3/10m",
      "flux-relay.fluxcd.io/slack-thread": "object",
    }));
    expect(problems).toEqual([]);
    expect(policy).toEqual({
      notify: "changes",
      repeatInterval: { ms: 90 * MIN, text: "1h30m" },
      threshold: { count: 3, windowMs: 10 * MIN, text: "3/10m" },
      slackThread: true,
      enabled: true,
    });
  });

  it("defaults to Flux's behaviour", () => {
    expect(noisePolicy(annotationsOf({})).policy).toEqual({ notify: "all", slackThread: false, enabled: false });
  });

  it.each([
    ["flux-relay.fluxcd.io/notify", "sometimes", /must be "all" or "changes", got "sometimes"/],
    ["flux-relay.fluxcd.io/repeat-interval", "1d", /must be a duration/],
    ["flux-relay.fluxcd.io/repeat-interval", "0s", /above 0/],
    ["flux-relay.fluxcd.io/repeat-interval", "1000h", /at most 720h/],
    ["flux-relay.fluxcd.io/threshold", "3", /<count>\/<window>/],
    ["flux-relay.fluxcd.io/threshold", "0/10m", /count from 1/],
    ["flux-relay.fluxcd.io/threshold", "3/ten", /<count>\/<window>/],
    ["flux-relay.fluxcd.io/slack-thread", "channel", /must be "object"/],
  ])("%s: %s is refused naming the field, and ignored", (key, value, message) => {
    const annotations: Record<string, string> = { [key]: value };
    if (key.endsWith("repeat-interval")) annotations["flux-relay.fluxcd.io/notify"] = "changes";
    const { policy, problems } = noisePolicy(annotationsOf(annotations));
    expect(problems).toHaveLength(1);
    expect(problems[0].field).toBe(`metadata.annotations.${key}`);
    expect(problems[0].message).toMatch(message);
    expect(policy.threshold).toBeUndefined();
    expect(policy.repeatInterval).toBeUndefined();
    expect(policy.slackThread).toBe(false);
  });

  it("repeat-interval without notify: changes is a problem, not a silent no-op", () => {
    const { problems } = noisePolicy(annotationsOf({ "flux-relay.fluxcd.io/repeat-interval": "1h" }));
    expect(problems).toEqual([{ field: "metadata.annotations.flux-relay.fluxcd.io/repeat-interval", message: expect.stringMatching(/only applies with flux-relay.fluxcd.io\/notify: changes/) }]);
  });
});
