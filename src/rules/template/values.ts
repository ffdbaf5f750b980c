/**
 * Template values with Go's meaning: a `GoMap` is a Go map (a missing key yields "no value"),
 * a plain object is a struct (a missing field is an error), a `GoTime` is a time.Time, arrays
 * are slices, `null` is nil and `undefined` is the invalid reflect.Value Go prints as `<no value>`.
 */

export type Value = string | number | boolean | null | undefined | Value[] | GoMap | GoTime | GoStruct;

/** A struct: fields in declaration order. */
export interface GoStruct {
  readonly [field: string]: Value;
}

/** A Go map; `zero` is the zero value of its element type, which `index` returns for a missing key. */
export class GoMap {
  constructor(
    readonly entries: ReadonlyMap<string, Value>,
    readonly zero: Value = "",
  ) {}

  /** Keys in Go's order for printing and ranging (sorted). */
  sortedKeys(): string[] {
    return [...this.entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  static fromRecord(record: Readonly<Record<string, string>>): GoMap {
    return new GoMap(new Map(Object.entries(record)));
  }
}

/** A time.Time in UTC, printed as Go's Time.String prints it. */
export class GoTime {
  constructor(readonly ms: number) {}
}

/** An error at execution time (wrong type, index out of range, ...), without position yet. */
export class ExecError extends Error {
  override name = "ExecError";
}

export function isStruct(value: Value): value is GoStruct {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof GoMap) && !(value instanceof GoTime);
}

/** Go's type name of a value, for error messages and `%T`. */
export function typeName(value: Value): string {
  if (value === undefined) return "<no value>";
  if (value === null) return "<nil>";
  if (typeof value === "string") return "string";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float64";
  if (typeof value === "boolean") return "bool";
  if (Array.isArray(value)) return "[]interface {}";
  if (value instanceof GoMap) return "map[string]string";
  if (value instanceof GoTime) return "time.Time";
  return "struct";
}

/** Go's `isTrue` (exec.go): the zero value of its type is false; no value is false. */
export function truth(value: Value): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "string") return value.length > 0;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof GoMap) return value.entries.size > 0;
  return true;
}

/** Whether a value is "empty" as sprig's `default` and `empty` see it. */
export function isEmpty(value: Value): boolean {
  return !truth(value);
}

/** A number as Go's %v prints a float64 (strconv 'g', shortest, exponent from 1e21). */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  if (Number.isNaN(n)) return "NaN";
  const s = String(n);
  if (!s.includes("e")) {
    const abs = Math.abs(n);
    if (abs >= 1e-4) return s;
    return goExponent(n.toExponential());
  }
  return goExponent(s);
}

/** JS `1e-7` / `1e+21` as Go writes them: `1e-07` / `1e+21` (at least two exponent digits). */
function goExponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

const TIME_OFFSET = "+0000 UTC";

/** time.Time's String(): `2006-01-02 15:04:05.999999999 -0700 MST`, here always UTC. */
export function formatTime(t: GoTime): string {
  const iso = new Date(t.ms).toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ""} ${TIME_OFFSET}`;
}

/** A value as fmt's %v prints it (fmt.Fprint of the action's result). */
export function printValue(value: Value, top = true): string {
  if (value === undefined) return top ? "<no value>" : "<nil>";
  if (value === null) return "<nil>";
  if (typeof value === "string") return value;
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return `[${value.map((v) => printValue(v, false)).join(" ")}]`;
  if (value instanceof GoMap) return `map[${value.sortedKeys().map((k) => `${k}:${printValue(value.entries.get(k), false)}`).join(" ")}]`;
  if (value instanceof GoTime) return formatTime(value);
  return `{${Object.values(value).map((v) => printValue(v, false)).join(" ")}}`;
}

/** A value as plain data for JSON (sprig's toJson): maps with sorted keys, time as RFC 3339. */
export function toPlain(value: Value): unknown {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof GoMap) {
    const out: Record<string, unknown> = {};
    for (const key of value.sortedKeys()) Object.defineProperty(out, key, { value: toPlain(value.entries.get(key)), enumerable: true });
    return out;
  }
  if (value instanceof GoTime) return new Date(value.ms).toISOString().replace(/\.000Z$/, "Z");
  if (isStruct(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = toPlain(v);
    return out;
  }
  return value;
}

/** Length in UTF-8 bytes, as Go's len of a string. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
