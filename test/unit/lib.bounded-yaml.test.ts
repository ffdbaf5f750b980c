import { describe, expect, it } from "vitest";
import { parseSecretValue, hostAllowed } from "../../src/config/secrets";
import { parseManifest } from "../../src/flux/manifests";
import { MAX_ALIAS_NODES, MAX_ALIASES, MAX_KEYS_PER_MAP, parseBoundedYaml, YamlProblem } from "../../src/lib/bounded-yaml";
import { InvalidManifestError } from "../../src/lib/errors";

const problem = (run: () => unknown): string => {
  try {
    run();
  } catch (err) {
    return (err as Error).message + ((err as InvalidManifestError).details ?? []).join("; ");
  }
  throw new Error("expected a problem");
};

describe("parseBoundedYaml", () => {
  it("reports the position and kind of a YAML error, never the quoted source lines", () => {
    const text = "Authorization: Bearer tok-line-one\nAuthorization: Bearer tok-line-two: x";
    const message = problem(() => parseBoundedYaml(text));
    expect(message).toMatch(/ at line 2, column \d+$/);
    expect(message).not.toMatch(/tok-line|Bearer|\n/);
    // An alias names its anchor, a tag its name: both are cut.
    expect(problem(() => parseBoundedYaml("a: *tok-alias-name"))).toBe("unidentified alias at line 1, column 5");
    expect(problem(() => parseBoundedYaml("a: !<tok-tag-name> x"))).toBe("unknown scalar tag at line 1, column 4");
  });

  it("reads YAML 1.2 core scalars as Kubernetes manifests need them", () => {
    expect(parseBoundedYaml("a: yes\nb: 2026-01-15\nc: 0x1F\nd: ~\ne: 1.5\nf: 'true'\ng: |\n  x\n")).toEqual({ a: "yes", b: "2026-01-15", c: 31, d: null, e: 1.5, f: "true", g: "x\n" });
  });

  it("refuses duplicate keys and caps keys per map", () => {
    expect(problem(() => parseBoundedYaml("a: 1\nb: 2\na: 3"))).toBe("duplicate map key at line 3, column 1");
    expect(problem(() => parseBoundedYaml('{"a": 1, "a": 2}'))).toMatch(/^duplicate map key/);
    const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${i}: v`).join("\n");
    expect(Object.keys(parseBoundedYaml(keys(MAX_KEYS_PER_MAP)) as object)).toHaveLength(MAX_KEYS_PER_MAP);
    expect(problem(() => parseBoundedYaml(keys(20_000)))).toContain(`has 20000 keys; at most ${MAX_KEYS_PER_MAP} are allowed`);
  });

  it("refuses texts over 256 KiB, counted in UTF-8 bytes, and alias bombs", () => {
    expect(problem(() => parseBoundedYaml(`a: "${"é".repeat(132 * 1024)}"`))).toBe("larger than 262144 bytes");
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...["b", "c", "d", "e", "f"].map((n, i) => `${n}: &${n} [${Array(9).fill(`*${"abcde"[i]}`).join(", ")}]`)].join("\n");
    expect(() => parseBoundedYaml(bomb)).toThrow(YamlProblem);
    expect(problem(() => parseBoundedYaml(bomb))).toBe(`cannot be expanded: its aliases add more than ${MAX_ALIAS_NODES} nodes`);
    expect(problem(() => parseBoundedYaml("a: &a {b: *a}"))).toBe("cannot be expanded: an alias refers to a collection that contains it");
    expect(parseBoundedYaml("a: &l {x: 1}\nb: *l")).toEqual({ a: { x: 1 }, b: { x: 1 } });
    const uses = (n: number) => ["a: &x 1", ...Array.from({ length: n }, (_, i) => `k${i}: *x`)].join("\n");
    expect(Object.keys(parseBoundedYaml(uses(MAX_ALIASES)) as object)).toHaveLength(MAX_ALIASES + 1);
    expect(problem(() => parseBoundedYaml(uses(MAX_ALIASES + 1)))).toMatch(/^aliases exceeded maxAliases/);
    expect(problem(() => parseBoundedYaml(`a: ${"[".repeat(101)}${"]".repeat(101)}`))).toMatch(/^nesting exceeded maxDepth/);
  });

  it("bounds manifests on load and Secrets alike", () => {
    const huge = `apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata:\n  name: a\n  annotations:\n    pad: "${"x".repeat(257 * 1024)}"\n`;
    expect(problem(() => parseManifest("Alert", huge))).toContain("larger than 262144 bytes");
    expect(problem(() => parseSecretValue("token: a\ntoken: b", "SECRET__X__Y"))).toContain("SECRET__X__Y");
  });
});

describe("hostAllowed (a Secret's allowedHosts)", () => {
  it.each([
    ["hooks.slack.com", "hooks.slack.com", true],
    ["HOOKS.slack.com.", "hooks.slack.com", true],
    ["api.github.com", "github.com, *.github.com", true],
    ["a.b.github.com", "*.github.com", true],
    ["github.com", "*.github.com", false],
    ["evilgithub.com", "*.github.com", false],
    ["github.com.evil.example", "github.com", false],
    ["127.0.0.1", "127.0.0.1", true],
    ["[::1]", "::1", true],
    ["example.com", "", false],
  ])("%s in %j: %s", (host, allowed, expected) => {
    expect(hostAllowed(host, allowed)).toBe(expected);
  });
});
