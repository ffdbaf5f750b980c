import { goJson } from "../../lib/gojson";
import { formatGoTime } from "./time-format";
import { sprint, sprintf } from "./printf";
import { ExecError, GoMap, GoTime, printValue, toPlain, truth, typeName, utf8Length, type Value } from "./values";

/** What a function may read besides its arguments. */
export interface FuncContext {
  /** Milliseconds since the epoch, for `ago` and the `date` of a value that is no time. */
  now: number;
}

/**
 * A template function. `params` lists the Go parameter types used to check arguments as Go's
 * reflection does (`string` refuses an int or a missing value); `variadic` takes any count of the
 * last type.
 */
export interface TemplateFunc {
  params: ParamType[];
  variadic?: boolean;
  call(args: Value[], ctx: FuncContext): Value;
}

/** `any` is interface{} (a missing value becomes nil); `value` is reflect.Value (passed as is). */
type ParamType = "string" | "int" | "any" | "value";

const str = (params: number): ParamType[] => Array<ParamType>(params).fill("string");

// Go's text/template builtins (https://pkg.go.dev/text/template#hdr-Functions). `and` and `or`
// are evaluated lazily by the executor, as Go does since 1.18.
const builtins: Record<string, TemplateFunc> = {
  not: { params: ["value"], call: ([v]) => !truth(v) },
  len: { params: ["value"], call: ([v]) => length(v) },
  index: { params: ["value", "value"], variadic: true, call: ([item, ...keys]) => index(item, keys) },
  print: { params: ["any"], variadic: true, call: (args) => sprint(args) },
  println: { params: ["any"], variadic: true, call: (args) => sprint(args, true) },
  printf: { params: ["string", "any"], variadic: true, call: ([format, ...args]) => sprintf(format as string, args) },
  eq: { params: ["value", "value"], variadic: true, call: ([a, ...rest]) => rest.some((b) => equal(a, b)) },
  ne: { params: ["value", "value"], call: ([a, b]) => !equal(a, b) },
  lt: { params: ["value", "value"], call: ([a, b]) => less(a, b) },
  le: { params: ["value", "value"], call: ([a, b]) => less(a, b) || equal(a, b) },
  gt: { params: ["value", "value"], call: ([a, b]) => !less(a, b) && !equal(a, b) },
  ge: { params: ["value", "value"], call: ([a, b]) => !less(a, b) },
};

// The sprig functions of the same names (https://masterminds.github.io/sprig/), argument order
// included: the piped value comes last (`.Message | trunc 80`, `.Revision | replace "@" " "`).
const sprig: Record<string, TemplateFunc> = {
  upper: { params: str(1), call: ([s]) => (s as string).toUpperCase() },
  lower: { params: str(1), call: ([s]) => (s as string).toLowerCase() },
  title: { params: str(1), call: ([s]) => title(s as string) },
  trim: { params: str(1), call: ([s]) => (s as string).replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/gu, "") },
  trunc: { params: ["int", "string"], call: ([n, s]) => trunc(n as number, s as string) },
  replace: { params: str(3), call: ([old, replacement, s]) => replace(old as string, replacement as string, s as string) },
  default: { params: ["any", "any"], variadic: true, call: ([fallback, ...given]) => (given.length === 0 || !truth(given[0]) ? fallback : given[0]) },
  contains: { params: str(2), call: ([substr, s]) => (s as string).includes(substr as string) },
  hasPrefix: { params: str(2), call: ([prefix, s]) => (s as string).startsWith(prefix as string) },
  hasSuffix: { params: str(2), call: ([suffix, s]) => (s as string).endsWith(suffix as string) },
  join: { params: ["string", "any"], call: ([sep, list]) => strings(list).join(sep as string) },
  split: { params: str(2), call: ([sep, s]) => new GoMap(new Map((s as string).split(sep as string).map((part, i) => [`_${i}`, part]))) },
  toJson: { params: ["any"], call: ([v]) => goJson(toPlain(v)) },
  date: { params: ["string", "any"], call: ([layout, t], ctx) => formatGoTime(layout as string, timeOf(t, ctx)) },
  ago: { params: ["any"], call: ([t], ctx) => goDuration(Math.round((ctx.now - timeOf(t, ctx)) / 1000) * 1000) },
};

/** Every function a template may call, by name. */
export const FUNCTIONS: Readonly<Record<string, TemplateFunc>> = { ...builtins, ...sprig };

/** Names for the parser, which refuses a call of anything else (as Go: `function "x" not defined`). */
export const FUNCTION_NAMES: ReadonlySet<string> = new Set([...Object.keys(FUNCTIONS), "and", "or"]);

function length(v: Value): number {
  if (typeof v === "string") return utf8Length(v);
  if (Array.isArray(v)) return v.length;
  if (v instanceof GoMap) return v.entries.size;
  throw new ExecError(`len of type ${typeName(v)}`);
}

function index(item: Value, keys: Value[]): Value {
  let current = item;
  for (const key of keys) {
    if (current === null || current === undefined) throw new ExecError("index of untyped nil");
    if (Array.isArray(current) || typeof current === "string") {
      if (typeof key !== "number" || !Number.isInteger(key)) throw new ExecError(`cannot index slice/array with type ${typeName(key)}`);
      const size = typeof current === "string" ? utf8Length(current) : current.length;
      if (key < 0 || key >= size) throw new ExecError(`index out of range: ${key}`);
      current = typeof current === "string" ? new TextEncoder().encode(current)[key] : current[key];
    } else if (current instanceof GoMap) {
      if (typeof key !== "string") throw new ExecError(`value has type ${typeName(key)}; should be string`);
      current = current.entries.has(key) ? current.entries.get(key) : current.zero;
    } else {
      throw new ExecError(`can't index item of type ${typeName(current)}`);
    }
  }
  return current;
}

type BasicKind = "bool" | "number" | "string" | "nil";

function basicKind(v: Value): BasicKind | undefined {
  if (v === null || v === undefined) return "nil";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return "number";
  if (typeof v === "string") return "string";
  return undefined;
}

// Go's eq: basic kinds compare by value, nil equals only nil, different kinds are an error
// (funcs.go: errBadComparison), other types are not comparable.
function equal(a: Value, b: Value): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === undefined || kb === undefined) {
    if (a instanceof GoTime && b instanceof GoTime) return a.ms === b.ms;
    throw new ExecError(`non-comparable type ${printValue(ka === undefined ? a : b)}: ${typeName(ka === undefined ? a : b)}`);
  }
  if (ka === "nil" || kb === "nil") return ka === kb;
  if (ka !== kb) throw new ExecError("incompatible types for comparison");
  return a === b;
}

function less(a: Value, b: Value): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === undefined || kb === undefined || ka === "bool" || ka === "nil" || kb === "nil") throw new ExecError("invalid type for comparison");
  if (ka !== kb) throw new ExecError("incompatible types for comparison");
  return (a as number | string) < (b as number | string);
}

/** Largest string a function may build: a template's whole output is 16 KiB, so this is only a guard. */
export const MAX_VALUE_CHARS = 1024 * 1024;

// strings.Replace(s, old, new, -1), its size checked before it is built: replacing "" inserts the
// replacement between every character, and a variable fed back into replace would grow exponentially.
function replace(old: string, replacement: string, s: string): string {
  const count = old === "" ? [...s].length + 1 : s.split(old).length - 1;
  if (s.length + count * (replacement.length - old.length) > MAX_VALUE_CHARS) throw new ExecError(`result exceeds ${MAX_VALUE_CHARS} characters`);
  return s.replaceAll(old, replacement);
}

// strings.Title: the first letter of every word upper-cased; separators as Go's isSeparator.
function title(s: string): string {
  let out = "";
  let prev = " ";
  for (const ch of s) {
    out += isSeparator(prev) ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  if (ch.charCodeAt(0) <= 0x7f) return !/[A-Za-z0-9_]/.test(ch);
  if (/[\p{L}\p{N}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

// sprig's trunc: a negative count keeps the end. Counted in characters (sprig counts bytes, which
// can cut a multi-byte character in two).
function trunc(n: number, s: string): string {
  const chars = [...s];
  if (n < 0 && chars.length + n > 0) return chars.slice(chars.length + n).join("");
  if (n >= 0 && chars.length > n) return chars.slice(0, n).join("");
  return s;
}

// sprig's strslice: a slice's non-nil elements printed, any other value as a one-element list.
function strings(v: Value): string[] {
  if (Array.isArray(v)) return v.filter((e) => e !== null && e !== undefined).map((e) => printValue(e));
  if (v === null || v === undefined) return [];
  return [printValue(v)];
}

// sprig's date and ago accept a time or Unix seconds; anything else means now.
function timeOf(v: Value, ctx: FuncContext): number {
  if (v instanceof GoTime) return v.ms;
  if (typeof v === "number") return v * 1000;
  return ctx.now;
}

/** time.Duration's String for whole seconds: `1h2m3s`, `2m0s`, `0s`. */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let seconds = Math.abs(Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  seconds -= h * 3600;
  const m = Math.floor(seconds / 60);
  seconds -= m * 60;
  if (h > 0) return `${sign}${h}h${m}m${seconds}s`;
  if (m > 0) return `${sign}${m}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** Checks (and converts) one argument against its parameter type, as Go's evalArg/validateType. */
export function checkArg(name: string, value: Value, type: ParamType): Value {
  switch (type) {
    case "value":
      return value;
    case "any":
      return value === undefined ? null : value;
    case "string":
      if (typeof value === "string") return value;
      break;
    case "int":
      if (typeof value === "number" && Number.isInteger(value)) return value;
      break;
  }
  if (value === undefined) throw new ExecError(`error calling ${name}: invalid value; expected ${type}`);
  throw new ExecError(`error calling ${name}: wrong type for value; expected ${type}; got ${typeName(value)}`);
}
