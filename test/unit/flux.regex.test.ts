import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile, compileList, isInvalid, matches, matchesAny, REGEX_CACHE_LIMIT, type Matcher } from "../../src/flux/regex";

const SEED = 20260807;
const check = <T>(arb: fc.Arbitrary<T>, pred: (v: T) => boolean | void, numRuns = 300) =>
  fc.assert(fc.property(arb, pred), { seed: SEED, numRuns });

const m = (pattern: string): Matcher => {
  const r = compile(pattern);
  if (isInvalid(r)) throw new Error(`${pattern}: ${r.error}`);
  return r;
};
const find = (pattern: string, message: string) => matches(m(pattern), message);
const jsAccepts = (pattern: string, flags = "") => {
  try {
    new RegExp(pattern, flags);
    return true;
  } catch {
    return false;
  }
};

describe("compile: Go RE2 syntax", () => {
  it.each<[string, string, boolean]>([
    ["(?i)error", "an ERROR here", true],
    ["(?i)k", "\u212a", true], // Kelvin sign folds to k in Go's simple folding
    ["(?i)straße", "STRASSE", false], // no full case folding
    ["(?s)a.b", "a\nb", true],
    ["(?m)^b", "a\nb", true],
    ["(?i:A)b", "aB", false],
    ["(?U)a+", "aa", true],
    ["\\pL+", "é", true],
    ["\\p{Greek}", "α", true],
    ["\\PL", "é", false],
    ["\\p{^Greek}", "α", false],
    ["[[:alpha:]]+", "abc", true],
    ["[[:alpha:]]", "é", false],
    ["[[:word:]]", "_", true],
    ["[[:^alpha:]]", "1", true],
    ["\\Qa.b\\E", "a.b", true],
    ["\\Qa.b\\E", "axb", false],
    ["\\Qa.b", "a.b", true], // \Q without \E runs to the end
    ["a\\z", "a", true],
    ["a\\z", "a\n", false],
    ["\\Aa", "ba", false],
    ["(?P<n>x)", "x", true],
    ["(?<n>x)", "x", true], // accepted since Go 1.22
    ["\\x{41}", "A", true],
    ["\\12", "\n", true], // two digits are octal in Go
    ["x{,3}", "x{,3}", true], // not a repetition: a literal
    ["[\\d-z]", "-", true], // Perl mode: '-' after a class escape is a literal
    ["\\d", "٣", false], // \d, \w, \b are ASCII-only
    ["\\w", "é", false],
    ["\\s", "\v", false], // Go's \s has no \v ...
    ["[[:space:]]", "\v", true], // ... but [:space:] has
    ["^.$", "😀", true], // one rune, not two UTF-16 units
  ])("%s on %j -> %s", (pattern, message, expected) => {
    expect(find(pattern, message)).toBe(expected);
  });

  it.each([
    ["(?=x)", "invalid or unsupported Perl syntax: `(?=`"],
    ["(?!x)", "invalid or unsupported Perl syntax: `(?!`"],
    ["(?<=a)b", ""],
    ["\\1", "invalid escape sequence: `\\1`"],
    ["\\8", "invalid escape sequence: `\\8`"],
    ["\\Z", "invalid escape sequence: `\\Z`"],
    ["\\u0041", "invalid escape sequence: `\\u`"],
    ["\\cA", "invalid escape sequence: `\\c`"],
    ["\\e", "invalid escape sequence: `\\e`"],
    ["\\k<n>", "invalid escape sequence: `\\k`"],
    ["[", "missing closing ]: `[`"],
    ["(", "missing closing ): `(`"],
    ["*", "missing argument to repetition operator: `*`"],
    ["a**", "invalid nested repetition operator: `**`"],
    ["a{1001}", "invalid repeat count: `{1001}`"],
    ["(?P<n>a)(?P<n>b)", "duplicate capture group name: `n`"],
    ["\\p{Foo}", "invalid character class range: `\\p{Foo}`"],
    ["[[:foo:]]", "invalid character class range: `[:foo:]`"],
    ["(?#comment)", ""],
    ["(?'n'x)", ""],
  ])("rejects %s as Go does", (pattern, error) => {
    const r = compile(pattern);
    expect(isInvalid(r)).toBe(true);
    if (isInvalid(r)) expect(r.error).toContain(`error parsing regexp: ${error}`);
  });

  it("nesting deeper than Go's limit of 1000 is refused", () => {
    expect(isInvalid(compile(`${"(".repeat(1001)}a${")".repeat(1001)}`))).toBe(true);
    expect(isInvalid(compile(`${"(".repeat(999)}a${")".repeat(999)}`))).toBe(false);
  });
});

describe("patterns JS RegExp reads differently", () => {
  it.each<[string, string, boolean, boolean | "SyntaxError"]>([
    ["(?i)error", "ERROR", true, "SyntaxError"],
    ["(?s)a.b", "a\nb", true, "SyntaxError"],
    ["(?P<n>x)", "x", true, "SyntaxError"],
    ["end\\z", "the end", true, false], // JS: \z is the letter z
    ["\\Aab", "ab", true, false], // JS: \A is the letter A
    ["[[:alpha:]]+", "abc", true, false], // JS: a class, then a literal ]
    ["\\pL", "é", true, false], // JS without u: the letters pL
    ["\\Qa.b\\E", "a.b", true, false], // JS: Q, a, any, b, E
    ["\\x{41}", "A", true, false], // JS: 41 times x
    ["a.b", "a\rb", true, false], // Go's dot only excludes \n
    ["a.b", "a\u2028b", true, false],
    ["^.$", "😀", true, false], // JS without u sees two code units
    ["\\s", "\u00a0", false, true], // Go's \s is ASCII
  ])("%s on %j: RE2 %s, JS %s", (pattern, message, re2, js) => {
    expect(find(pattern, message)).toBe(re2);
    expect(jsAccepts(pattern) ? new RegExp(pattern).test(message) : "SyntaxError").toBe(js);
  });

  it.each(["(?=x)", "(?!x)", "\\1", "\\8", "\\Z", "\\cA", "\\u0041", "\\k<n>", "\\e"])("%s: JS accepts, Go refuses", (pattern) => {
    expect(jsAccepts(pattern)).toBe(true);
    expect(isInvalid(compile(pattern))).toBe(true);
  });
});

describe("compileList / matchesAny", () => {
  it("splits valid and invalid entries, keeping order", () => {
    const { matchers, invalid } = compileList(["a", "[", "(?i)b", "\\1"]);
    expect(matchers.map((x) => x.pattern)).toEqual(["a", "(?i)b"]);
    expect(invalid.map((x) => x.pattern)).toEqual(["[", "\\1"]);
    expect(invalid[0].error).toBe("error parsing regexp: missing closing ]: `[`");
  });

  it("an empty list matches nothing", () => {
    expect(matchesAny([], "anything")).toBe(false);
  });

  it("any matcher suffices", () => {
    const { matchers } = compileList(["nope", "(?i)APPLIED"]);
    expect(matchesAny(matchers, "Applied revision")).toBe(true);
    expect(matchesAny(matchers, "Health check failed")).toBe(false);
  });

  it("caches compiled patterns, least recently used evicted first", () => {
    const first = compile("cache-probe-0");
    const kept = compile("cache-probe-kept");
    expect(compile("cache-probe-0")).toBe(first);
    for (let i = 1; i <= REGEX_CACHE_LIMIT; i++) {
      if (i % 100 === 0) compile("cache-probe-kept");
      compile(`cache-probe-filler-${i}`);
    }
    compile("cache-probe-kept");
    expect(compile("cache-probe-kept")).toBe(kept);
    expect(compile("cache-probe-0")).not.toBe(first);
  });

  it("caches invalid patterns too", () => {
    expect(compile("(?=cached")).toBe(compile("(?=cached"));
  });
});

describe("properties (fast-check, fixed seed)", () => {
  const wellFormed = fc.string({ unit: "binary", maxLength: 12 }).filter((s) => s.isWellFormed());

  it("\\Q...\\E is a literal substring search for any text without \\E", () => {
    const arb = fc
      .tuple(wellFormed.filter((s) => !s.includes("\\E")), wellFormed, wellFormed, fc.boolean())
      .map(([lit, pre, post, embed]) => ({ lit, message: embed ? pre + lit + post : pre + post }));
    check(arb, ({ lit, message }) => find(`\\Q${lit}\\E`, message) === message.includes(lit));
  });

  it("(?i) matches ASCII words case-insensitively; without it, case-sensitively", () => {
    const word = fc.stringMatching(/^[a-zA-Z]{1,5}$/);
    const text = fc.array(fc.constantFrom("a", "B", "c", "D", " ", "-", "é"), { maxLength: 10 }).map((a) => a.join(""));
    const arb = fc.tuple(word, text, text, fc.boolean()).map(([w, pre, post, embed]) => ({ w, message: embed ? pre + flipCase(w) + post : pre + post }));
    check(arb, ({ w, message }) => {
      expect(find(`(?i)${w}`, message)).toBe(message.toLowerCase().includes(w.toLowerCase()));
      expect(find(w, message)).toBe(message.includes(w));
    });
  });

  it("(?s) lets dot match newline; otherwise dot is any rune but newline", () => {
    const text = fc.array(fc.constantFrom("a", "b", "\n", "\r", "x", "😀", "\u2028"), { maxLength: 8 }).map((a) => a.join(""));
    check(text, (message) => {
      const runes = [...message];
      const spans = (ok: (c: string) => boolean) => runes.some((c, i) => c === "a" && runes[i + 2] === "b" && ok(runes[i + 1]));
      expect(find("(?s)a.b", message)).toBe(spans(() => true));
      expect(find("a.b", message)).toBe(spans((c) => c !== "\n"));
    });
  });

  it("Unicode classes agree with the Unicode property tables on any code point", () => {
    // Planes 0-1 and the CJK block: stable assignments, so engine Unicode versions cannot diverge.
    const cp = fc.oneof(fc.integer({ min: 0, max: 0x2fff }), fc.integer({ min: 0x4e00, max: 0x9fff }), fc.integer({ min: 0x10000, max: 0x1f64f }));
    const classes: [string, RegExp][] = [
      ["\\pL", /\p{L}/u],
      ["\\PL", /\P{L}/u],
      ["\\p{Lu}", /\p{Lu}/u],
      ["\\pN", /\p{N}/u],
      ["\\p{Greek}", /\p{Script=Greek}/u],
      ["\\p{Han}", /\p{Script=Han}/u],
      ["[\\p{Cyrillic}\\d]", /[\p{Script=Cyrillic}0-9]/u],
    ];
    check(cp.filter((c) => c < 0xd800 || c > 0xdfff), (c) => {
      const ch = String.fromCodePoint(c);
      for (const [re2, js] of classes) expect([re2, find(re2, ch)]).toEqual([re2, js.test(ch)]);
    }, 2000);
  });

  it("Perl and POSIX classes are ASCII-only on any code point", () => {
    const cp = fc.integer({ min: 0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff);
    const classes: [string, (c: string) => boolean][] = [
      ["[[:alpha:]]", (c) => /^[A-Za-z]$/.test(c)],
      ["[[:digit:]]", (c) => "0123456789".includes(c)],
      ["\\d", (c) => "0123456789".includes(c)],
      ["\\w", (c) => /^[0-9A-Za-z_]$/.test(c)],
      ["\\s", (c) => "\t\n\f\r ".includes(c)],
      ["[[:space:]]", (c) => "\t\n\v\f\r ".includes(c)],
      ["(?i)[[:upper:]]", (c) => /^[A-Za-z]$/.test(c) || c === "\u212a" || c === "\u017f"],
    ];
    check(fc.oneof(cp, fc.integer({ min: 0, max: 0x7f })), (c) => {
      const ch = String.fromCodePoint(c);
      for (const [re2, model] of classes) expect([re2, find(re2, ch)]).toEqual([re2, model(ch)]);
    }, 2000);
  });

  it("lists mixing inline flags, Unicode classes, JS-lookalikes and invalid entries behave as the model", () => {
    const entries: [string, ((s: string) => boolean) | "invalid"][] = [
      ["(?i)error", (s) => s.toLowerCase().includes("error")],
      ["(?s)a.b", (s) => /a[^]b/u.test(s)],
      ["a.b", (s) => /a[^\n]b/u.test(s)],
      ["end\\z", (s) => s.endsWith("end")],
      ["\\Aab", (s) => s.startsWith("ab")],
      ["\\pL", (s) => /\p{L}/u.test(s)],
      ["[[:digit:]]", (s) => /[0-9]/.test(s)],
      ["\\s", (s) => /[\t\n\f\r ]/.test(s)],
      ["\\Qa.b\\E", (s) => s.includes("a.b")],
      ["(?P<n>x)y", (s) => s.includes("xy")],
      ["\\x{41}", (s) => s.includes("A")],
      ["(?=x)", "invalid"],
      ["\\1", "invalid"],
      ["\\k<n>", "invalid"],
      ["[", "invalid"],
    ];
    const chunk = fc.constantFrom("a", "b", "A", "x", "y", ".", "\n", "\r", "\t", " ", "\v", "\u00a0", "\u2028", "é", "1", "٣", "😀", "ERROR", "end", "a.b", "xy", "-");
    const arb = fc.record({
      list: fc.subarray(entries, { minLength: 0 }),
      message: fc.array(chunk, { maxLength: 8 }).map((a) => a.join("")),
    });
    check(arb, ({ list, message }) => {
      const { matchers, invalid } = compileList(list.map(([p]) => p));
      expect(invalid.map((i) => i.pattern)).toEqual(list.filter(([, model]) => model === "invalid").map(([p]) => p));
      const expected = list.some(([, model]) => model !== "invalid" && model(message));
      expect(matchesAny(matchers, message)).toBe(expected);
    }, 1000);
  });

  describe("random patterns from a small grammar", () => {
    const pattern = fc.letrec<{ re: string; atom: string }>((tie) => ({
      atom: fc.oneof(
        { depthSize: "small" },
        fc.constantFrom("a", "b", "c", ".", "[ab]", "[^a]", "\\d", "\\pL", "(?i:a)", "é", "\\x{1F600}"),
        tie("re").map((r) => `(?:${r})`),
      ),
      re: fc.oneof(
        { depthSize: "small" },
        tie("atom"),
        fc.tuple(tie("atom"), fc.constantFrom("*", "+", "?", "{1,2}", "*?")).map(([a, op]) => a + op),
        fc.tuple(tie("re"), tie("re")).map(([x, y]) => x + y),
        fc.tuple(tie("re"), tie("re")).map(([x, y]) => `${x}|${y}`),
      ),
    })).re;
    const message = fc.array(fc.constantFrom("a", "b", "c", "A", "1", "é", "😀", "\n"), { maxLength: 10 }).map((a) => a.join(""));

    it("compile accepts every pattern of the grammar", () => {
      check(pattern, (p) => !isInvalid(compile(p)));
    });

    it("the DFA fast path (test) agrees with a full Matcher.find", () => {
      check(fc.tuple(pattern, message), ([p, s]) => find(p, s) === m(p).re.matcher(s).find(), 1000);
    });

    it("the search is unanchored: a match survives any surrounding text", () => {
      check(fc.tuple(pattern, message, message, message), ([p, s, pre, post]) => !find(p, s) || find(p, pre + s + post), 1000);
    });
  });
});

function flipCase(s: string): string {
  return [...s].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join("");
}
