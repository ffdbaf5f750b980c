import type { Environment } from "@marcbachmann/cel-js";

/**
 * The parts of cel-go's extension libraries that Flux enables for `commitStatusExpr`
 * (fluxcd/pkg runtime/cel: ext.Strings, ext.Sets, ext.Encoders) and @marcbachmann/cel-js lacks.
 * The library already has `indexOf`, `lastIndexOf`, `lowerAscii`, `upperAscii`, `split`,
 * `substring`, `trim` and `join`. Namespaced functions (`strings.quote`, `sets.contains`,
 * `base64.encode`) are receiver functions on a namespace variable the evaluation supplies.
 *
 * Every function here spends the evaluation budget (one step per call, and no string it builds
 * may exceed MAX_STRING), so an expression cannot make the relay loop or allocate without bound.
 */

/** Calls of extension functions one evaluation may make. */
export const MAX_STEPS = 10_000;
/** Longest string an extension function may build (UTF-16 units). */
export const MAX_STRING = 64 * 1024;

/** The budget ran out: the expression is refused, not retried. */
export class CelBudgetError extends Error {
  override name = "CelBudgetError";
}

let steps = 0;

/** Starts the budget of one evaluation (evaluations are synchronous, so one counter suffices). */
export function resetBudget(): void {
  steps = 0;
}

function step(): void {
  if (++steps > MAX_STEPS) throw new CelBudgetError(`evaluation budget exceeded: more than ${MAX_STEPS} function calls`);
}

function capped(length: number): void {
  if (length > MAX_STRING) throw new CelBudgetError(`evaluation budget exceeded: a string longer than ${MAX_STRING} characters`);
}

// The namespaces of `strings.`, `sets.` and `base64.` calls: one class each, as the library maps
// a runtime class to one CEL type.
class Namespace {}
class StringsNamespace extends Namespace {}
class SetsNamespace extends Namespace {}
class EncodersNamespace extends Namespace {}
/** The namespace objects, passed as variables of every evaluation. */
export const NAMESPACES = { strings: new StringsNamespace(), sets: new SetsNamespace(), base64: new EncodersNamespace() };

type Handler = (...args: never[]) => unknown;
const counted = <F extends Handler>(f: F) => ((...args: Parameters<F>) => {
  step();
  return f(...args);
}) as F;

/** Registers the extension functions on an environment. */
export function registerExtensions(env: Environment): Environment {
  return env
    .registerType("ext.strings", StringsNamespace)
    .registerType("ext.sets", SetsNamespace)
    .registerType("ext.encoders", EncodersNamespace)
    .registerVariable("strings", "ext.strings")
    .registerVariable("sets", "ext.sets")
    .registerVariable("base64", "ext.encoders")
    .registerFunction("string.charAt(int): string", counted(charAt))
    .registerFunction("string.reverse(): string", counted((s: string) => [...s].reverse().join("")))
    .registerFunction("string.replace(string, string): string", counted((s: string, from: string, to: string) => replace(s, from, to, -1)))
    .registerFunction("string.replace(string, string, int): string", counted((s: string, from: string, to: string, n: bigint) => replace(s, from, to, Number(n))))
    .registerFunction("string.format(list): string", counted(format))
    .registerFunction("ext.strings.quote(string): string", counted((_: Namespace, s: string) => quote(s)))
    .registerFunction("ext.sets.contains(list, list): bool", counted((_: Namespace, a: unknown[], b: unknown[]) => b.every((x) => a.some((y) => same(x, y)))))
    .registerFunction("ext.sets.equivalent(list, list): bool", counted((_: Namespace, a: unknown[], b: unknown[]) => b.every((x) => a.some((y) => same(x, y))) && a.every((x) => b.some((y) => same(x, y)))))
    .registerFunction("ext.sets.intersects(list, list): bool", counted((_: Namespace, a: unknown[], b: unknown[]) => a.some((x) => b.some((y) => same(x, y)))))
    .registerFunction("ext.encoders.encode(bytes): string", counted((_: Namespace, b: Uint8Array) => encodeBase64(b)))
    .registerFunction("ext.encoders.decode(string): bytes", counted((_: Namespace, s: string) => decodeBase64(s)));
}

/** cel-go's charAt: the code point at the index; the length itself gives "" and beyond is an error. */
function charAt(s: string, index: bigint): string {
  const points = [...s];
  const i = Number(index);
  if (i < 0 || i > points.length) throw new Error(`index out of range: ${i}`);
  return points[i] ?? "";
}

/**
 * Go's strings.Replace: `n` < 0 replaces all. Linear in the output, whose size is computed before
 * building it: an empty `from` inserts `to` at every code point boundary, which a long `to` turns
 * into a quadratic blow-up, refused by the budget instead of allocated.
 */
export function replace(s: string, from: string, to: string, n: number): string {
  if (n === 0 || from === to) return s;
  if (from === "") {
    const points = [...s];
    const count = n < 0 ? points.length + 1 : Math.min(n, points.length + 1);
    capped(s.length + count * to.length);
    let out = "";
    for (let i = 0; i < points.length; i++) out += (i < count ? to : "") + points[i];
    return count > points.length ? out + to : out;
  }
  const parts = s.split(from);
  const count = n < 0 ? parts.length - 1 : Math.min(n, parts.length - 1);
  capped(s.length + count * (to.length - from.length));
  return parts.slice(0, count + 1).join(to) + (count < parts.length - 1 ? from + parts.slice(count + 1).join(from) : "");
}

/** strconv.Quote as cel-go's strings.quote writes it: double quotes, Go escapes for controls and invalid text. */
function quote(s: string): string {
  const escapes: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", '"': '\\"', "\\": "\\\\" };
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (escapes[ch]) out += escapes[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += "\\ufffd";
    else out += ch;
  }
  capped(out.length + 1);
  return `${out}"`;
}

/**
 * cel-go's string.format: `%s`, `%d`, `%f`/`%.Nf`, `%e`, `%x`/`%X`, `%o`, `%b` and `%%`, each
 * verb taking the next list element.
 */
function format(template: string, args: unknown[]): string {
  let next = 0;
  const out = template.replace(/%(?:\.(\d+))?([sdfeExXob%])/g, (_m, precision: string | undefined, verb: string) => {
    if (verb === "%") return "%";
    if (next >= args.length) throw new Error(`index ${next} out of range`);
    const arg = args[next++];
    const digits = precision === undefined ? 6 : Number(precision);
    switch (verb) {
      case "s":
        return formatValue(arg);
      case "d":
        if (typeof arg !== "bigint") throw new Error("decimal clause can only be used on integers");
        return arg.toString();
      case "f":
        return Number(arg).toFixed(digits);
      case "e":
        return Number(arg).toExponential(digits).replace(/e([+-])(\d)$/, "e$10$2");
      case "x":
      case "X": {
        const hex = typeof arg === "string" ? [...new TextEncoder().encode(arg)].map((b) => b.toString(16).padStart(2, "0")).join("") : BigInt(arg as bigint).toString(16);
        return verb === "X" ? hex.toUpperCase() : hex;
      }
      case "o":
        return BigInt(arg as bigint).toString(8);
      default:
        return BigInt(arg as bigint).toString(2);
    }
  });
  capped(out.length);
  return out;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (value === null || value === undefined) return "null";
  if (typeof value === "object") return `{${Object.entries(value).map(([k, v]) => `${k}: ${formatValue(v)}`).join(", ")}}`;
  return String(value);
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === "bigint" && typeof b === "number") return Number(a) === b;
  if (typeof a === "number" && typeof b === "bigint") return a === Number(b);
  if (a && b && typeof a === "object" && typeof b === "object") return JSON.stringify(a, jsonSafe) === JSON.stringify(b, jsonSafe);
  return a === b;
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

function encodeBase64(bytes: Uint8Array): string {
  capped(Math.ceil(bytes.length / 3) * 4);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function decodeBase64(s: string): Uint8Array {
  // cel-go accepts padded and unpadded standard base64.
  const padded = s.length % 4 === 0 ? s : s + "=".repeat(4 - (s.length % 4));
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}
