import { Environment, Optional } from "@marcbachmann/cel-js";
import { CelBudgetError, NAMESPACES, registerExtensions, resetBudget } from "./cel-ext";

type Parsed = ReturnType<Environment["parse"]>;

/** Why an expression was refused, in the words of fluxcd/pkg/runtime/cel (one line, no source excerpt). */
export class CelExpressionError extends Error {
  override name = "CelExpressionError";
}

let environment: Environment | undefined;
const compiled = new Map<string, Parsed | CelExpressionError>();
const CACHE_LIMIT = 256;
/** Longest expression compiled; ids built from an event need far less. */
export const MAX_EXPRESSION_LENGTH = 1024;
// Parser bounds below the library's defaults: an id expression is small, and these keep parsing
// and checking cheap for anything an operator can store.
const LIMITS = { maxAstNodes: 256, maxDepth: 24, maxListElements: 64, maxMapEntries: 64, maxCallArguments: 8 };
/** Comprehension macros: nested ones multiply their iterations, so they cannot nest. */
const COMPREHENSIONS = new Set(["all", "exists", "exists_one", "map", "filter", "transformList", "transformMap", "transformMapEntry"]);

/**
 * The commitStatusExpr environment: the three variables as dynamic maps, optional types on (as
 * Flux's cel.OptionalTypes()), and cel-go's string, set and encoder extensions as Flux enables
 * them (src/notifiers/git/cel-ext.ts).
 */
function env(): Environment {
  if (environment) return environment;
  // cel-go lets list and map literals mix types unless HomogeneousAggregateLiterals is set (Flux does not).
  const created = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false, limits: LIMITS })
    .registerVariable("event", "map")
    .registerVariable("provider", "map")
    .registerVariable("alert", "map")
    // cel-go's optional types (v2+) give lists `first()`/`last()`; Flux's docs use `.first().value()`.
    .registerFunction("list<A>.first(): optional<A>", (list: unknown[]) => Optional.of(list[0]))
    .registerFunction("list<A>.last(): optional<A>", (list: unknown[]) => Optional.of(list[list.length - 1]));
  environment = registerExtensions(created);
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
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    return new CelExpressionError(`failed to compile expression: the CEL expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
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
  if (nestedComprehension(parsed.ast, false)) {
    return new CelExpressionError(`failed to compile expression: the CEL expression '${expression}' nests a comprehension (map, filter, all, exists) inside another, which the relay refuses to bound its cost`);
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
  resetBudget();
  try {
    result = program({ ...(toCel(variables) as Record<string, unknown>), ...NAMESPACES });
  } catch (err) {
    if (err instanceof CelBudgetError) throw new CelExpressionError(`failed to evaluate the CEL expression '${expression}': ${err.message}`);
    throw new CelExpressionError(`failed to evaluate the CEL expression '${expression}': ${summary(err)}`);
  }
  if (typeof result !== "string") throw new CelExpressionError(`failed to evaluate CEL expression as string: '${expression}'`);
  return result;
}

/** Whether a comprehension macro call appears inside the arguments of another one. */
function nestedComprehension(node: unknown, inside: boolean): boolean {
  if (Array.isArray(node)) return node.some((child) => nestedComprehension(child, inside));
  if (!node || typeof node !== "object" || !("op" in node)) return false;
  const { op, args } = node as { op: string; args: unknown };
  const isComprehension = op === "rcall" && Array.isArray(args) && COMPREHENSIONS.has(args[0] as string);
  if (isComprehension && inside) return true;
  // The receiver runs once before the comprehension (a chain such as filter().map() adds up); the body runs per element.
  if (isComprehension) return nestedComprehension((args as unknown[])[1], inside) || nestedComprehension((args as unknown[])[2], true);
  return nestedComprehension(args, inside);
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
