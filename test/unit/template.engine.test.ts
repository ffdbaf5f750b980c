import { describe, expect, it } from "vitest";
import { compileTemplate, GoMap, GoTime, MAX_OUTPUT_BYTES, renderTemplate, TemplateExecError, TemplateSyntaxError, TRUNCATION_MARKER, type Value } from "../../src/rules/template/template";

// Cases ported from Go's src/text/template/exec_test.go (execTests, named as there) and
// src/text/template/parse/parse_test.go (parseTests), https://github.com/golang/go/tree/master/src/text/template.
// Go's `tVal` is modelled with the values of the relay's data: plain objects are structs, GoMap
// is a map (its second argument the element type's zero value), arrays are slices.

const map = (entries: Record<string, Value>, zero: Value = 0) => new GoMap(new Map(Object.entries(entries)), zero);

const tVal: Value = {
  True: true,
  I: 17,
  U16: 16,
  X: "x",
  FloatZero: 0,
  U: { V: "v" },
  SI: [3, 4, 5],
  SIEmpty: [],
  SB: [true, false],
  MSI: map({ one: 1, two: 2, three: 3 }),
  MSIone: map({ one: 1 }),
  MSIEmpty: map({}),
  MXI: map({ one: 1 }, null),
  SMSI: [map({ one: 1, two: 2 }), map({ eleven: 11, twelve: 12 })],
  Empty0: undefined,
  Empty2: "empty2",
  Empty3: [7, 8],
  Empty4: { V: "UinEmpty" },
  NIL: null,
};

const NOW = Date.parse("2026-12-03T18:30:00Z");

function run(input: string, data: Value = tVal): string {
  return renderTemplate(compileTemplate(input), data, { now: NOW }).text;
}

type Case = [name: string, input: string, output: string, data?: Value];

// [name, input, expected output] from execTests with ok == true.
const execTests: Case[] = [
  ["empty", "", ""],
  ["text", "some text", "some text"],
  [".X", "-{{.X}}-", "-x-"],
  [".U.V", "-{{.U.V}}-", "-v-"],
  ["map .one", "{{.MSI.one}}", "1"],
  ["map .two", "{{.MSI.two}}", "2"],
  ["map .NO", "{{.MSI.NO}}", "<no value>"],
  ["map .one interface", "{{.MXI.one}}", "1"],
  ["dot int", "<{{.}}>", "<13>", 13],
  ["dot float", "<{{.}}>", "<15.1>", 15.1],
  ["dot bool", "<{{.}}>", "<true>", true],
  ["dot string", "<{{.}}>", "<hello>", "hello"],
  ["dot slice", "<{{.}}>", "<[-1 -2 -3]>", [-1, -2, -3]],
  ["dot map", "<{{.}}>", "<map[two:22]>", map({ two: 22 })],
  ["dot struct", "<{{.}}>", "<{7 seven}>", { a: 7, b: "seven" }],
  ["$ int", "{{$}}", "123", 123],
  ["$.I", "{{$.I}}", "17"],
  ["$.U.V", "{{$.U.V}}", "v"],
  ["declare in action", "{{$x := $.U.V}}{{$x}}", "v"],
  ["NIL", "{{.NIL}}", "<nil>"],
  ["empty nil", "{{.Empty0}}", "<no value>"],
  ["empty with string", "{{.Empty2}}", "empty2"],
  ["empty with slice", "{{.Empty3}}", "[7 8]"],
  ["empty with struct", "{{.Empty4}}", "{UinEmpty}"],
  ["empty with struct, field", "{{.Empty4.V}}", "UinEmpty"],
  ["parens: $ in paren", "{{($).X}}", "x"],
  ["parens: spaces and args", `{{(split "-" "up-down").up}}`, "<no value>"],
  ["if true", "{{if true}}TRUE{{end}}", "TRUE"],
  ["if false", "{{if false}}TRUE{{else}}FALSE{{end}}", "FALSE"],
  ["if 1", "{{if 1}}NON-ZERO{{else}}ZERO{{end}}", "NON-ZERO"],
  ["if 0", "{{if 0}}NON-ZERO{{else}}ZERO{{end}}", "ZERO"],
  ["if 1.5", "{{if 1.5}}NON-ZERO{{else}}ZERO{{end}}", "NON-ZERO"],
  ["if 0.0", "{{if .FloatZero}}NON-ZERO{{else}}ZERO{{end}}", "ZERO"],
  ["if emptystring", "{{if ``}}NON-EMPTY{{else}}EMPTY{{end}}", "EMPTY"],
  ["if string", "{{if `notempty`}}NON-EMPTY{{else}}EMPTY{{end}}", "NON-EMPTY"],
  ["if emptyslice", "{{if .SIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}", "EMPTY"],
  ["if slice", "{{if .SI}}NON-EMPTY{{else}}EMPTY{{end}}", "NON-EMPTY"],
  ["if emptymap", "{{if .MSIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}", "EMPTY"],
  ["if map", "{{if .MSI}}NON-EMPTY{{else}}EMPTY{{end}}", "NON-EMPTY"],
  ["if map unset", "{{if .MXI.none}}NON-ZERO{{else}}ZERO{{end}}", "ZERO"],
  ["if map not unset", "{{if not .MXI.none}}ZERO{{else}}NON-ZERO{{end}}", "ZERO"],
  ["if $x with $y int", "{{if $x := true}}{{with $y := .I}}{{$x}},{{$y}}{{end}}{{end}}", "true,17"],
  ["if $x with $x int", "{{if $x := true}}{{with $x := .I}}{{$x}},{{end}}{{$x}}{{end}}", "17,true"],
  ["if else if", "{{if false}}FALSE{{else if true}}TRUE{{end}}", "TRUE"],
  ["if else chain", "{{if eq 1 3}}1{{else if eq 2 3}}2{{else if eq 3 3}}3{{end}}", "3"],
  ["print", `{{print "hello, print"}}`, "hello, print"],
  ["print 123", "{{print 1 2 3}}", "1 2 3"],
  ["print nil", "{{print nil}}", "<nil>"],
  ["println", "{{println 1 2 3}}", "1 2 3\n"],
  ["printf int", `{{printf "%04x" 127}}`, "007f"],
  ["printf float", `{{printf "%g" 3.5}}`, "3.5"],
  ["printf string", `{{printf "%s" "hello"}}`, "hello"],
  ["printf field", `{{printf "%s" .U.V}}`, "v"],
  ["printf dot", `{{with .I}}{{printf "%d" .}}{{end}}`, "17"],
  ["printf var", `{{with $x := .I}}{{printf "%d" $x}}{{end}}`, "17"],
  ["not", "{{not true}} {{not false}}", "false true"],
  ["and", "{{and false 0}} {{and 1 0}} {{and 0 true}} {{and 1 1}}", "false 0 0 1"],
  ["or", "{{or 0 0}} {{or 1 0}} {{or 0 true}} {{or 1 1}}", "0 1 true 1"],
  ["boolean if", "{{if and true 1 `hi`}}TRUE{{else}}FALSE{{end}}", "TRUE"],
  ["boolean if not", "{{if and true 1 `hi` | not}}TRUE{{else}}FALSE{{end}}", "FALSE"],
  ["slice[0]", "{{index .SI 0}}", "3"],
  ["slice[1]", "{{index .SI 1}}", "4"],
  ["map[one]", "{{index .MSI `one`}}", "1"],
  ["map[two]", "{{index .MSI `two`}}", "2"],
  ["map[NO]", "{{index .MSI `XXX`}}", "0"],
  ["map[``]", "{{index .MSI ``}}", "0"],
  ["double index", "{{index .SMSI 1 `eleven`}}", "11"],
  ["slice", "{{len .SI}}", "3"],
  ["map", "{{len .MSI }}", "3"],
  ["with true", "{{with true}}{{.}}{{end}}", "true"],
  ["with false", "{{with false}}{{.}}{{else}}FALSE{{end}}", "FALSE"],
  ["with 1", "{{with 1}}{{.}}{{else}}ZERO{{end}}", "1"],
  ["with 0", "{{with 0}}{{.}}{{else}}ZERO{{end}}", "ZERO"],
  ["with 1.5", "{{with 1.5}}{{.}}{{else}}ZERO{{end}}", "1.5"],
  ["with 0.0", "{{with .FloatZero}}{{.}}{{else}}ZERO{{end}}", "ZERO"],
  ["with emptystring", "{{with ``}}{{.}}{{else}}EMPTY{{end}}", "EMPTY"],
  ["with string", "{{with `notempty`}}{{.}}{{else}}EMPTY{{end}}", "notempty"],
  ["with emptyslice", "{{with .SIEmpty}}{{.}}{{else}}EMPTY{{end}}", "EMPTY"],
  ["with slice", "{{with .SI}}{{.}}{{else}}EMPTY{{end}}", "[3 4 5]"],
  ["with emptymap", "{{with .MSIEmpty}}{{.}}{{else}}EMPTY{{end}}", "EMPTY"],
  ["with map", "{{with .MSIone}}{{.}}{{else}}EMPTY{{end}}", "map[one:1]"],
  ["with empty interface, struct field", "{{with .Empty4}}{{.V}}{{end}}", "UinEmpty"],
  ["with $x int", "{{with $x := .I}}{{$x}}{{end}}", "17"],
  ["with $x struct.U.V", "{{with $x := $}}{{$x.U.V}}{{end}}", "v"],
  ["with variable and action", "{{with $x := $}}{{$y := $.U.V}}{{$y}}{{end}}", "v"],
  ["range []int", "{{range .SI}}-{{.}}-{{end}}", "-3--4--5-"],
  ["range empty no else", "{{range .SIEmpty}}-{{.}}-{{end}}", ""],
  ["range []int else", "{{range .SI}}-{{.}}-{{else}}EMPTY{{end}}", "-3--4--5-"],
  ["range empty else", "{{range .SIEmpty}}-{{.}}-{{else}}EMPTY{{end}}", "EMPTY"],
  ["range []bool", "{{range .SB}}-{{.}}-{{end}}", "-true--false-"],
  ["range map", "{{range .MSI}}-{{.}}-{{end}}", "-1--3--2-"],
  ["range empty map no else", "{{range .MSIEmpty}}-{{.}}-{{end}}", ""],
  ["range map else", "{{range .MSI}}-{{.}}-{{else}}EMPTY{{end}}", "-1--3--2-"],
  ["range empty map else", "{{range .MSIEmpty}}-{{.}}-{{else}}EMPTY{{end}}", "EMPTY"],
  ["range empty interface", "{{range .Empty3}}-{{.}}-{{else}}EMPTY{{end}}", "-7--8-"],
  ["range empty nil", "{{range .Empty0}}-{{.}}-{{end}}", ""],
  ["range $x SI", "{{range $x := .SI}}<{{$x}}>{{end}}", "<3><4><5>"],
  ["range $x $y SI", "{{range $x, $y := .SI}}<{{$x}}={{$y}}>{{end}}", "<0=3><1=4><2=5>"],
  ["range $x MSIone", "{{range $x := .MSIone}}<{{$x}}>{{end}}", "<1>"],
  ["range $x $y MSIone", "{{range $x, $y := .MSIone}}<{{$x}}={{$y}}>{{end}}", "<one=1>"],
  ["declare in range", "{{range $x := .SI}}<{{$foo:=$x}}{{$x}}>{{end}}", "<3><4><5>"],
  ["or as if true", `{{or .SI "slice is empty"}}`, "[3 4 5]"],
  ["or as if false", `{{or .SIEmpty "slice is empty"}}`, "slice is empty"],
  ["bug9", "{{.cause}}", "neglect", map({ cause: "neglect" }, "")],
  ["bug16k", '{{"aaa"|printf }}', "aaa"],
  // Later additions to execTests (Go 1.18+): break, continue, assignment, short-circuit and/or.
  ["range break", "{{range .SI}}{{if eq . 4}}{{break}}{{end}}-{{.}}-{{end}}", "-3-"],
  ["range continue", "{{range .SI}}{{if eq . 4}}{{continue}}{{end}}-{{.}}-{{end}}", "-3--5-"],
  ["assignment", "{{$x := 1}}{{range .SI}}{{$x = .}}{{end}}{{$x}}", "5"],
  ["and short-circuits", "{{and false (index .SI 10)}}", "false"],
  ["or short-circuits", "{{or true (index .SI 10)}}", "true"],
];

// [name, input] from execTests with ok == false: each must fail at execution.
const execErrors: [string, string][] = [
  ["map .WRONG args", "{{.MSI.one 1}}"],
  ["slice[HUGE]", "{{index .SI 10}}"],
  ["slice[WRONG]", "{{index .SI `hello`}}"],
  ["slice[nil]", "{{index .SI nil}}"],
  ["map[WRONG]", "{{index .MSI 10}}"],
  ["nil[1]", "{{index nil 1}}"],
  ["len of int", "{{len 3}}"],
  ["len of nothing", "{{len .Empty0}}"],
  ["if nil", "{{if nil}}TRUE{{end}}"],
  ["nil action", "{{nil}}"],
  ["bug7a", "{{3 2}}"],
  ["bug7b", "{{$x := 1}}{{$x 2}}"],
  ["bug7c", "{{$x := 1}}{{3 | $x}}"],
  ["bug14a", "{{(nil).True}}"],
  ["bug14b", "{{$x := nil}}{{$x.anything}}"],
  ["bug14c", '{{$x := (1.0)}}{{$y := ("hello")}}{{$x.anything}}{{$y.true}}'],
  ["bug16a", "{{true|printf}}"],
  ["bug16b", "{{1|printf}}"],
];

// parseTests: trim markers and comments (output as the executed text).
const parseTests: Case[] = [
  ["trim left", "x \r\n\t{{- 3}}", "x3"],
  ["trim right", "{{3 -}}\n\n\ty", "3y"],
  ["trim left and right", "x \r\n\t{{- 3 -}}\n\n\ty", "x3y"],
  ["trim with extra spaces", "x\n{{-  3   -}}\ny", "x3y"],
  ["comment", "{{/*\n\n\n*/}}", ""],
  ["comment trim left", "x \r\n\t{{- /* hi */}}", "x"],
  ["comment trim right", "{{/* hi */ -}}\n\n\ty", "y"],
  ["comment trim left and right", "x \r\n\t{{- /* */ -}}\n\n\ty", "xy"],
  ["negative number is no trim marker", "x {{-3}}", "x -3"],
  ["spaces", " \t\n", " \t\n"],
  ["field chain", "{{.U.V}}", "v"],
  ["pipeline", "{{.X|printf `%q`}}", '"x"'],
  ["raw string", "{{`a\\nb`}}", "a\\nb"],
  ["quoted string escapes", '{{"\\t\\x41\\u00e9"}}', "\tAé"],
  ["char constant", "{{'a'}}", "97"],
  ["hex and underscores", "{{0x1F}} {{1_000}}", "31 1000"],
];

// parseTests with hasError: each must fail to parse.
const parseErrors: [string, string][] = [
  ["unclosed action", "hello{{range"],
  ["unmatched end", "{{end}}"],
  ["unmatched else", "{{else}}"],
  ["missing end", "hello{{range .x}}"],
  ["missing end after else", "{{if .X}}a{{else}}b"],
  ["undefined function", "hello{{undefined}}"],
  ["undefined variable", "{{$x}}"],
  ["variable undefined after end", "{{with $x := 4}}{{end}}{{$x}}"],
  ["declare with field", "{{with $x.Y := 4}}{{end}}"],
  ["invalid punctuation", "{{printf 3, 4}}"],
  ["multidecl outside range", "{{with $v, $u := 3}}{{end}}"],
  ["too many decls in range", "{{range $u, $v, $w := 3}}{{end}}"],
  ["dot applied to parentheses", "{{printf (printf .).}}"],
  ["adjacent args", "{{printf 3`x`}}"],
  ["adjacent args with .", "{{printf `x`.}}"],
  ["extra end after if", "{{if .X}}a{{else if .Y}}b{{end}}{{end}}"],
  ["break outside range", "{{range .}}{{end}} {{break}}"],
  ["unclosed comment", "{{/* x"],
  ["empty action", "{{}}"],
  ["unterminated quoted string", '{{"abc}}'],
  ["template is not supported", '{{template "x"}}'],
];

describe("Go text/template: execTests", () => {
  for (const [name, input, output, data] of execTests) {
    it(name, () => expect(run(input, data === undefined ? tVal : data)).toBe(output));
  }
  for (const [name, input] of execErrors) {
    it(`${name} fails`, () => expect(() => run(input)).toThrow(TemplateExecError));
  }
});

describe("Go text/template: parseTests", () => {
  for (const [name, input, output] of parseTests) {
    it(name, () => expect(run(input)).toBe(output));
  }
  for (const [name, input] of parseErrors) {
    it(`${name} fails`, () => expect(() => compileTemplate(input)).toThrow(TemplateSyntaxError));
  }
});

describe("errors carry line and column", () => {
  it("parse error", () => {
    const err = catchError(() => compileTemplate("line one\n  {{ .X | nosuch }}"));
    expect(err).toBeInstanceOf(TemplateSyntaxError);
    expect(err).toMatchObject({ line: 2, column: 11, detail: 'function "nosuch" not defined' });
    expect((err as Error).message).toBe('template: 2:11: function "nosuch" not defined');
  });
  it("unclosed action points at the action", () => {
    expect(catchError(() => compileTemplate("ab\ncd {{ if .X }}"))).toMatchObject({ line: 2, detail: expect.stringContaining("has no {{end}}") });
  });
  it("execution error (TestExecError's index out of range)", () => {
    const err = catchError(() => run('line 1\nline 2\n{{index "hi" $}}', 5));
    expect(err).toBeInstanceOf(TemplateExecError);
    expect((err as Error).message).toBe('template: 3:3: executing at <index "hi" $>: error calling index: index out of range: 5');
  });
  it("a missing struct field is an error, a missing map key is not", () => {
    expect(catchError(() => run("{{.Nope}}"))).toMatchObject({ detail: expect.stringContaining("can't evaluate field Nope") });
    expect(run("{{.MSI.nope}}")).toBe("<no value>");
  });
});

describe("printf verbs (fmt)", () => {
  const cases: [string, Value[], string][] = [
    ["%s|%d|%v|%q", ["a", 3, true, 'say "hi"\n'], 'a|3|true|"say \\"hi\\"\\n"'],
    ["%5s|%-5s|%05d|%x|%X|%o|%b", ["ab", "ab", 42, 255, 255, 8, 5], "   ab|ab   |00042|ff|FF|10|101"],
    ["%.2f|%e|%g|%t|%c|%%", [3.14159, 1234.5, 0.000012, false, 9731], "3.14|1.234500e+03|1.2e-05|false|☃|%"],
    ["%d", ["x"], "%!d(string=x)"],
    ["%s %s", ["a"], "a %!s(MISSING)"],
    ["%s", ["a", 2], "a%!(EXTRA int=2)"],
    ["%v %s", [[1, 2], ["a", "b"]], "[1 2] [a b]"],
    ["%#q|%q", ["back`tick", 65], '"back`tick"|\'A\''],
    ["%.3s|%+d", ["abcdef", 5], "abc|+5"],
  ];
  for (const [format, args, want] of cases) {
    it(format, () => expect(run("{{printf .F .A0 .A1 .A2 .A3 .A4 .A5 .A6}}".replace(/ \.A(\d)/g, (m, i) => (Number(i) < args.length ? m : "")), { F: format, ...Object.fromEntries(args.map((a, i) => [`A${i}`, a])) })).toBe(want));
  }
});

describe("sprig-like functions", () => {
  const data: Value = {
    Message: "  Reconciliation failed: apply error  ",
    Revision: "main@sha1:0123456789abcdef",
    List: ["a", "b", null, "c"],
    Empty: "",
    Meta: map({ revision: "v1", "helm.toolkit.fluxcd.io/revision": "3", b: "2", a: "1" }, ""),
    Timestamp: new GoTime(Date.parse("2026-12-03T17:05:09Z")),
  };
  const cases: [string, string][] = [
    ['{{ .Message | trim | upper }}', "RECONCILIATION FAILED: APPLY ERROR"],
    ['{{ .Message | trim | lower }}', "reconciliation failed: apply error"],
    ['{{ "hello wORLD-foo_bar" | title }}', "Hello WORLD-Foo_bar"],
    ['{{ .Revision | trunc 4 }}|{{ trunc -6 .Revision }}|{{ trunc 99 "ab" }}', "main|abcdef|ab"],
    ['{{ .Revision | replace "@sha1:" " " }}', "main 0123456789abcdef"],
    ['{{ .Empty | default "none" }}|{{ default "none" "set" }}|{{ .Meta.missing | default "dflt" }}', "none|set|dflt"],
    ['{{ .Revision | contains "sha1" }} {{ hasPrefix "main" .Revision }} {{ hasSuffix "x" .Revision }}', "true true false"],
    ['{{ join ", " .List }}', "a, b, c"],
    ['{{ $parts := split "@" .Revision }}{{ $parts._0 }}/{{ $parts._1 }}', "main/sha1:0123456789abcdef"],
    ["{{ toJson .Meta }}", '{"a":"1","b":"2","helm.toolkit.fluxcd.io/revision":"3","revision":"v1"}'],
    ['{{ toJson "<b>" }} {{ toJson .List }}', '"\\u003cb\\u003e" ["a","b",null,"c"]'],
    ['{{ date "2006-01-02 15:04:05 MST" .Timestamp }}|{{ .Timestamp | date "Jan _2 3:04PM" }}|{{ date "Monday 02/01/06" .Timestamp }}', "2026-12-03 17:05:09 UTC|Dec  3 5:05PM|Thursday 03/12/26"],
    ["{{ .Timestamp }}", "2026-12-03 17:05:09 +0000 UTC"],
    ["{{ ago .Timestamp }}", "1h24m51s"],
    ['{{ index .Meta "helm.toolkit.fluxcd.io/revision" }}|{{ index .Meta "nope" }}|{{ .Meta.nope }}', "3||<no value>"],
    ["{{ range $k, $v := .Meta }}{{ $k }}={{ $v }};{{ end }}", "a=1;b=2;helm.toolkit.fluxcd.io/revision=3;revision=v1;"],
    ["{{ len .Revision }} {{ len .Meta }} {{ gt (len .List) 3 }} {{ lt 1 2 }} {{ le 2 2 }} {{ ge 1 2 }} {{ ne .Empty `` }}", "26 4 true true true false false"],
  ];
  for (const [input, want] of cases) it(input, () => expect(run(input, data)).toBe(want));

  it("date: fractional seconds (.000 fixed, .999 trimmed), 12-hour clock, day of year", () => {
    const t = new GoTime(Date.parse("2026-03-01T00:07:09.120Z"));
    expect(run('{{ date "15:04:05.000|05.999|05.9|3:04 pm|002" .T }}', { T: t })).toBe("00:07:09.120|09.12|09.1|12:07 am|060");
  });
  it("a string function refuses a missing value, as Go's validateType does", () => {
    expect(() => run("{{ .Meta.missing | upper }}", data)).toThrow(/error calling upper: invalid value; expected string/);
    expect(() => run("{{ upper 3 }}", data)).toThrow(/expected string; got int/);
    expect(() => run("{{ upper }}", data)).toThrow(/wrong number of args for upper: want 1 got 0/);
  });
  // Checked against Go 1.19's text/template with a map[string]string.
  it("a missing map value compares as nil and prints <nil> in printf", () => {
    expect(run('{{ eq .Meta.nope "x" }} {{ eq .Meta.nope .Meta.nope2 }} {{ ne .Meta.nope "x" }} {{ not .Meta.nope }}', data)).toBe("false true true true");
    expect(run('{{ printf "%s %v" .Meta.nope .Meta.nope }}|{{ $x := .Meta.nope }}{{ $x }}', data)).toBe("%!s(<nil>) <nil>|<no value>");
    expect(() => run('{{ lt .Meta.nope "x" }}', data)).toThrow(/error calling lt: invalid type for comparison/);
    expect(() => run('{{ index .Meta.nope "x" }}', data)).toThrow(/index of untyped nil/);
  });
  it("eq refuses to compare a string with a number", () => {
    expect(() => run('{{ eq "1" 1 }}', data)).toThrow(/incompatible types for comparison/);
  });
});

describe("bounds", () => {
  it("refuses a template over 16 KiB", () => {
    expect(() => compileTemplate("x".repeat(16 * 1024 + 1))).toThrow(/limit is 16384/);
  });
  it("cuts output at 16 KiB with the marker", () => {
    const result = renderTemplate(compileTemplate("{{ range . }}{{ . }}{{ end }}"), Array(2000).fill("0123456789é"), { now: NOW });
    expect(result.truncated).toBe(true);
    expect(result.text.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(new TextEncoder().encode(result.text).length).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
    expect(new TextEncoder().encode(result.text).length).toBeGreaterThan(MAX_OUTPUT_BYTES - 8);
  });
  it("refuses to build huge values: printf widths, replace of the empty string, doubling in a variable", () => {
    expect(run('{{ printf "%999999999d|%s" 1 "x" }}')).toBe("%!(BADWIDTH)|x");
    expect(() => run('{{ $x := "ab" }}{{ range 5 }}{{ $x = replace "" $x $x }}{{ end }}{{ len $x }}')).toThrow(/error calling replace: result exceeds 1048576 characters/);
    expect(() => run('{{ $x := "0123456789abcdef" }}{{ range 17 }}{{ $x = print $x $x }}{{ end }}')).toThrow(/result exceeds 1048576 characters/);
  });
  it("stops a template past its step budget", () => {
    const tmpl = compileTemplate("{{ range . }}{{ range $ }}{{ range $ }}x{{ end }}{{ end }}{{ end }}");
    const data = Array(100).fill(0);
    expect(() => renderTemplate(tmpl, data, { now: NOW, maxOutputBytes: 1e9 })).toThrow(/budget of 10000 steps/);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}
