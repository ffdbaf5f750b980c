import { Environment, Optional } from "@marcbachmann/cel-js";

type Parsed = ReturnType<Environment["parse"]>;

/** Why an expression was refused, in the words of fluxcd/pkg/runtime/cel (one line, no source excerpt). */
export class CelExpressionError extends Error {
  override name = "CelExpressionError";
}

let environment: Environment | undefined;
const compiled = new Map<string, Parsed | CelExpressionError>();
const CACHE_LIMIT = 256;

/**
 * The commitStatusExpr environment: the three variables as dynamic maps, optional types on (as
 * Flux's cel.OptionalTypes()). Flux also enables cel-go's string, set and encoder extensions;
 * the library brings most string helpers (`lowerAscii`, `split`, `join`, `substring`, ...), and
 * the few added here are the ones Flux's own examples and tests use or that build ids.
 */
function env(): Environment {
  environment ??= new Environment({ enableOptionalTypes: true })
    .registerVariable("event", "map")
    .registerVariable("provider", "map")
    .registerVariable("alert", "map")
    // cel-go's optional types (v2+) give lists `first()`/`last()`; Flux's docs use `.first().value()`.
    .registerFunction("list<A>.first(): optional<A>", (list: unknown[]) => Optional.of(list[0]))
    .registerFunction("list<A>.last(): optional<A>", (list: unknown[]) => Optional.of(list[list.length - 1]))
    // ext.Strings `replace`, handy to turn `/` or `.` into separators the git host accepts.
    .registerFunction("string.replace(string, string): string", (s: string, from: string, to: string) => s.replaceAll(from, to));
  return environment;
}

/** Parses and type-checks once per expression text; the output type must be exactly `string`. */
function compile(expression: string): Parsed {
  let entry = compiled.get(expression);
  if (!entry) {
    entry = compileUncached(expression);
    if (compiled.size >= CACHE_LIMIT) compiled.clear();
    compiled.set(expression, entry);
  }
  if (entry instanceof CelExpressionError) throw entry;
  return entry;
}

function compileUncached(expression: string): Parsed | CelExpressionError {
  let parsed: Parsed;
  try {
    parsed = env().parse(expression);
  } catch (err) {
    return new CelExpressionError(`failed to compile expression: failed to parse the CEL expression '${expression}': ${summary(err)}`);
  }
  const checked = parsed.check();
  if (!checked.valid) {
    return new CelExpressionError(`failed to compile expression: failed to parse the CEL expression '${expression}': ${summary(checked.error)}`);
  }
  if (checked.type !== "string") {
    return new CelExpressionError(`failed to compile expression: CEL expression output type mismatch: expected string, got ${checked.type}`);
  }
  return parsed;
}

/** Evaluates a string-typed expression over plain JSON variables. Throws CelExpressionError. */
export function evaluateString(expression: string, variables: Record<string, unknown>): string {
  const program = compile(expression);
  let result: unknown;
  try {
    result = program(toCel(variables) as Record<string, unknown>);
  } catch (err) {
    throw new CelExpressionError(`failed to evaluate the CEL expression '${expression}': ${summary(err)}`);
  }
  if (typeof result !== "string") throw new CelExpressionError(`failed to evaluate CEL expression as string: '${expression}'`);
  return result;
}

function summary(err: unknown): string {
  if (err && typeof err === "object" && "summary" in err && typeof err.summary === "string") return err.summary;
  return err instanceof Error ? err.message.split("\n")[0] : String(err);
}

/** JSON numbers that are integers become CEL `int` (BigInt), as Go's unstructured maps hold int64. */
function toCel(value: unknown): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toCel(item);
    return out;
  }
  return value;
}
