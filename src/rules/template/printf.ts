import { formatNumber, GoMap, printValue, typeName, type Value } from "./values";

/**
 * Go's fmt.Sprintf for the verbs templates use (https://pkg.go.dev/fmt): %v %s %d %q %x %X %o %b
 * %c %f %F %e %g %t %T %%, flags `-+# 0`, width and precision (also `*`). Errors print as fmt
 * prints them: `%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA int=3)`.
 */
export function sprintf(format: string, args: Value[]): string {
  let out = "";
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: undefined, precision: undefined };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === "-") spec.minus = true;
      else if (f === "+") spec.plus = true;
      else if (f === "#") spec.sharp = true;
      else if (f === " ") spec.space = true;
      else if (f === "0") spec.zero = true;
      else break;
    }
    const readNumber = (): number | undefined => {
      if (format[i] === "*") {
        i++;
        const arg = args[argi++];
        return typeof arg === "number" ? Math.trunc(arg) : undefined;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    spec.width = readNumber();
    if (format[i] === ".") {
      i++;
      spec.precision = readNumber() ?? 0;
    }
    // Go refuses widths above 1e6 (fmt's tooLarge); the relay's output is 16 KiB at most anyway.
    if ((spec.width ?? 0) > MAX_WIDTH || (spec.precision ?? 0) > MAX_WIDTH) {
      out += "%!(BADWIDTH)";
      argi++;
      while (i < format.length && !/[a-zA-Z%]/.test(format[i])) i++;
      i++;
      continue;
    }
    if (i >= format.length) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    i += verb.length;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argi++], verb, spec);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${typeName(a === undefined ? null : a)}=${printValue(a ?? null)}`)
      .join(", ")})`;
  }
  return out;
}

/** Largest width or precision honoured: past the output bound, padding only costs memory. */
const MAX_WIDTH = 16 * 1024;

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  precision: number | undefined;
}

function pad(s: string, spec: Spec, numeric = false): string {
  const width = spec.width ?? 0;
  const length = [...s].length;
  if (length >= width) return s;
  const fill = width - length;
  if (spec.minus) return s + " ".repeat(fill);
  if (spec.zero && numeric) {
    const sign = /^[+-]/.test(s) ? s[0] : "";
    return sign + "0".repeat(fill) + s.slice(sign.length);
  }
  return " ".repeat(fill) + s;
}

function bad(verb: string, value: Value): string {
  return value === null ? `%!${verb}(<nil>)` : `%!${verb}(${typeName(value)}=${printValue(value)})`;
}

function formatArg(arg: Value, verb: string, spec: Spec): string {
  const value = arg === undefined ? null : arg;
  if (verb === "T") return pad(typeName(value), spec);
  if (verb === "v") return pad(typeof value === "number" ? signed(formatNumber(value), value, spec) : printValue(value), spec, typeof value === "number");
  if (Array.isArray(value) && verb !== "q") return pad(`[${value.map((v) => formatArg(v, verb, { ...spec, width: undefined })).join(" ")}]`, spec);
  if (value instanceof GoMap && verb !== "q") {
    return pad(`map[${value.sortedKeys().map((k) => `${formatArg(k, verb, { ...spec, width: undefined })}:${formatArg(value.entries.get(k), verb, { ...spec, width: undefined })}`).join(" ")}]`, spec);
  }
  switch (verb) {
    case "s":
      if (typeof value !== "string") return bad(verb, value);
      return pad(spec.precision === undefined ? value : [...value].slice(0, spec.precision).join(""), spec);
    case "q":
      if (typeof value === "string") return pad(spec.sharp && canBackquote(value) ? `\`${value}\`` : quote(value), spec);
      if (typeof value === "number" && Number.isInteger(value)) return pad(quoteRune(value), spec);
      return bad(verb, value);
    case "t":
      return typeof value === "boolean" ? pad(String(value), spec) : bad(verb, value);
    case "d":
    case "b":
    case "o":
    case "x":
    case "X":
    case "c":
      return formatInteger(value, verb, spec);
    case "f":
    case "F":
    case "e":
    case "E":
    case "g":
    case "G":
      if (typeof value !== "number") return bad(verb, value);
      return pad(signed(formatFloat(value, verb, spec.precision), value, spec), spec, true);
    default:
      return `%!${verb}(${typeName(value)}=${printValue(value)})`;
  }
}

function signed(s: string, value: number, spec: Spec): string {
  if (value >= 0 && spec.plus) return `+${s}`;
  if (value >= 0 && spec.space) return ` ${s}`;
  return s;
}

function formatInteger(value: Value, verb: string, spec: Spec): string {
  if (typeof value === "string" && (verb === "x" || verb === "X")) {
    const hex = [...new TextEncoder().encode(value)].map((b) => b.toString(16).padStart(2, "0")).join("");
    return pad(verb === "X" ? hex.toUpperCase() : hex, spec);
  }
  if (typeof value !== "number" || !Number.isInteger(value)) {
    if (typeof value === "number" && (verb === "x" || verb === "X")) return pad(value.toString(16), spec);
    return bad(verb, value);
  }
  if (verb === "c") return pad(String.fromCodePoint(value), spec);
  const base = verb === "b" ? 2 : verb === "o" ? 8 : verb === "d" ? 10 : 16;
  let digits = Math.abs(value).toString(base);
  if (verb === "X") digits = digits.toUpperCase();
  if (spec.precision !== undefined) digits = digits.padStart(spec.precision, "0");
  if (spec.sharp) digits = (verb === "x" ? "0x" : verb === "X" ? "0X" : verb === "o" ? "0" : verb === "b" ? "0b" : "") + digits;
  const sign = value < 0 ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  return pad(sign + digits, spec, spec.precision === undefined);
}

function formatFloat(value: number, verb: string, precision: number | undefined): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
  switch (verb) {
    case "f":
    case "F":
      return value.toFixed(precision ?? 6);
    case "e":
    case "E": {
      const s = value.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, "e$10$2");
      return verb === "E" ? s.toUpperCase() : s;
    }
    default: {
      const s = precision === undefined ? formatNumber(value) : trimG(value.toPrecision(Math.max(precision, 1)));
      return verb === "G" ? s.toUpperCase() : s;
    }
  }
}

function trimG(s: string): string {
  const [mantissa, exponent] = s.split("e");
  const m = mantissa.includes(".") ? mantissa.replace(/0+$/, "").replace(/\.$/, "") : mantissa;
  return exponent === undefined ? m : `${m}e${exponent.replace(/^([+-])(\d)$/, "$10$2")}`;
}

/** strconv.Quote: double-quoted, Go escapes, non-printable runes as \x, \u or \U. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) out += quoteChar(ch, '"');
  return `${out}"`;
}

function quoteRune(cp: number): string {
  return `'${quoteChar(String.fromCodePoint(cp), "'")}'`;
}

const SIMPLE_ESCAPES: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\" };

function quoteChar(ch: string, delimiter: string): string {
  if (ch === delimiter) return `\\${ch}`;
  if (ch in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[ch];
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f) return `\\x${cp.toString(16).padStart(2, "0")}`;
  if (/[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(ch)) return ch;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, "0")}`;
  return `\\U${cp.toString(16).padStart(8, "0")}`;
}

function canBackquote(s: string): boolean {
  return !/[`\u0000-\u0008\u000a-\u001f\u007f\ufeff]/.test(s);
}

/** fmt.Sprint: operands separated by a space when neither side is a string. */
export function sprint(args: Value[], newline = false): string {
  let out = "";
  args.forEach((arg, i) => {
    const isString = typeof arg === "string";
    if (i > 0 && (newline || (!isString && typeof args[i - 1] !== "string"))) out += " ";
    out += printValue(arg === undefined ? null : arg);
  });
  return newline ? `${out}\n` : out;
}
