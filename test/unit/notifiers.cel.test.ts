import { describe, expect, it } from "vitest";
import { CelExpressionError, evaluateString, MAX_EXPRESSION_LENGTH } from "../../src/notifiers/git/cel";
import { MAX_STRING, replace } from "../../src/notifiers/git/cel-ext";

const vars = {
  event: { message: "Applied revision main@sha1:abc", involvedObject: { kind: "Kustomization", name: "apps", namespace: "flux-system" }, metadata: { a: "1", b: "2" } },
  provider: { metadata: { name: "github" } },
  alert: {},
};
const evaluate = (expression: string) => evaluateString(expression, vars);

describe("commitStatusExpr: cel-go extensions Flux enables", () => {
  it.each([
    ["'hello'.charAt(1)", "e"],
    ["'hello'.charAt(5)", ""],
    ["'héllo'.reverse()", "olléh"],
    ["'a.b.c'.replace('.', '-')", "a-b-c"],
    ["'a.b.c'.replace('.', '-', 1)", "a-b.c"],
    ["'ab'.replace('', '-')", "-a-b-"],
    ["'%s/%d/%.2f/%x'.format(['x', 42, 1.5, 255])", "x/42/1.50/ff"],
    ["'%s'.format([[1, 2]])", "[1, 2]"],
    ["strings.quote('a\"b\\n')", '"a\\"b\\n"'],
    ["'Hello'.lowerAscii() + 'x'.upperAscii()", "helloX"],
    ["'a,b'.split(',').join('+')", "a+b"],
    ["'hello'.indexOf('l') == 2 && 'hello'.lastIndexOf('l') == 3 ? 'ok' : 'no'", "ok"],
    ["' x '.trim() + 'abc'.substring(1, 2)", "xb"],
    ["sets.contains([1, 2, 3], [2]) && sets.intersects(['a'], ['a', 'b']) && sets.equivalent([1, 2], [2, 1]) ? 'y' : 'n'", "y"],
    ["sets.contains([1], [2]) ? 'y' : 'n'", "n"],
    ["base64.encode(b'flux')", "Zmx1eA=="],
    ["string(base64.decode('Zmx1eA'))", "flux"],
    ["event.involvedObject.kind.lowerAscii() + '/' + provider.metadata.name", "kustomization/github"],
    ["event.metadata.map(k, k).filter(k, k != 'a').join(',')", "b"],
  ])("%s", (expression, expected) => expect(evaluate(expression)).toBe(expected));
});

describe("commitStatusExpr: bounds", () => {
  it("refuses an expression longer than the limit", () => {
    expect(() => evaluate(`'${"a".repeat(MAX_EXPRESSION_LENGTH)}'`)).toThrow(/longer than 1024 characters/);
  });

  it("refuses nested comprehensions, whose cost multiplies", () => {
    expect(() => evaluate("event.message.split('').map(x, event.message.split('').map(y, y)).size() > 0 ? 'a' : 'b'")).toThrow(/nests a comprehension/);
  });

  it("stops a replace that would blow up, before allocating", () => {
    const started = performance.now();
    expect(() => evaluate("event.message.replace('', event.message).replace('', event.message).replace('', event.message)")).toThrow(CelExpressionError);
    expect(() => evaluate("event.message.replace('', event.message).replace('', event.message).replace('', event.message)")).toThrow(/evaluation budget exceeded: a string longer than/);
    // No timing assertion (speed targets live in the benchmark); the check is that it returns at all.
    expect(performance.now() - started).toBeGreaterThanOrEqual(0);
  });

  it("counts extension calls against a step budget", () => {
    const long = { ...vars, event: { ...vars.event, message: "ab".repeat(6000) } };
    expect(evaluateString("event.message.substring(0, 4).split('').map(c, c.reverse()).join('')", long)).toBe("abab");
    expect(() => evaluateString("event.message.split('').map(c, c.reverse()).join('')", long)).toThrow(/evaluation budget exceeded: more than 10000 function calls/);
  });

  it("computes replace's output size without building it, linearly", () => {
    expect(replace("abc", "", "-", -1)).toBe("-a-b-c-");
    expect(replace("abc", "", "-", 2)).toBe("-a-bc");
    expect(replace("a😀b", "", "|", -1)).toBe("|a|😀|b|");
    expect(replace("aaaa", "a", "b", 2)).toBe("bbaa");
    expect(() => replace("x".repeat(1000), "", "y".repeat(MAX_STRING), -1)).toThrow(/budget exceeded/);
  });
});
