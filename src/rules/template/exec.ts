import { lineColumn } from "../../lib/line-column";
import { TemplateError } from "./lexer";
import { checkArg, FUNCTIONS, MAX_VALUE_CHARS, type FuncContext } from "./functions";
import type { Command, Node, Operand, ParsedTemplate, Pipeline } from "./parser";
import { ExecError, GoMap, isStruct, printValue, truth, typeName, utf8Length, type Value } from "./values";

/**
 * Go's text/template executor (https://github.com/golang/go/blob/master/src/text/template/exec.go)
 * for the parse tree of ./parser, with two bounds a shared relay needs: a step budget (every node,
 * command and range iteration is a step) and an output size, past which the text is cut and the
 * marker appended.
 */

export interface ExecLimits {
  maxSteps: number;
  maxOutputBytes: number;
  /** Appended to output cut at maxOutputBytes. */
  truncationMarker: string;
}

/** A failure while rendering, with the position of the action that failed. */
export class TemplateExecError extends TemplateError {
  override name = "TemplateExecError";
}

export interface ExecResult {
  text: string;
  truncated: boolean;
  steps: number;
}

interface Variable {
  name: string;
  value: Value;
}

// Sentinels: no final value for a command (Go's missingVal), and the control flow of range.
const NO_FINAL = Symbol("no final");
type Final = Value | typeof NO_FINAL;
const BREAK = Symbol("break");
const CONTINUE = Symbol("continue");
class OutputFull {}

export function execute(tmpl: ParsedTemplate, data: Value, limits: ExecLimits, ctx: FuncContext): ExecResult {
  const state = new State(tmpl.source, data, limits, ctx);
  try {
    state.walkList(data, tmpl.root);
  } catch (err) {
    if (err instanceof OutputFull) return { text: state.cut(), truncated: true, steps: state.steps };
    if (err instanceof ExecError) {
      const { line, column } = lineColumn(tmpl.source, state.pos);
      throw new TemplateExecError(`executing at <${state.nodeText()}>: ${err.message}`, line, column);
    }
    throw err;
  }
  return { text: state.out, truncated: false, steps: state.steps };
}

class State {
  out = "";
  bytes = 0;
  steps = 0;
  /** Offset of the node being evaluated, for the error position. */
  pos = 0;
  private readonly vars: Variable[];

  constructor(
    private readonly src: string,
    data: Value,
    private readonly limits: ExecLimits,
    private readonly ctx: FuncContext,
  ) {
    this.vars = [{ name: "$", value: data }];
  }

  nodeText(): string {
    const rest = this.src.slice(this.pos);
    const end = rest.search(/\s*-?}}/);
    return (end < 0 ? rest : rest.slice(0, end)).slice(0, 60);
  }

  cut(): string {
    const room = this.limits.maxOutputBytes - utf8Length(this.limits.truncationMarker);
    let text = this.out;
    while (utf8Length(text) > room) text = text.slice(0, Math.max(0, text.length - Math.max(1, utf8Length(text) - room)));
    // Never leave half a surrogate pair behind.
    if (/[\ud800-\udbff]$/.test(text)) text = text.slice(0, -1);
    return text + this.limits.truncationMarker;
  }

  private step(pos: number): void {
    this.pos = pos;
    if (++this.steps > this.limits.maxSteps) throw new ExecError(`template exceeds its budget of ${this.limits.maxSteps} steps`);
  }

  private write(text: string): void {
    this.out += text;
    this.bytes += utf8Length(text);
    if (this.bytes > this.limits.maxOutputBytes) throw new OutputFull();
  }

  walkList(dot: Value, list: Node[]): void {
    for (const node of list) this.walk(dot, node);
  }

  private walk(dot: Value, node: Node): void {
    if (node.kind === "text") {
      this.write(node.text);
      return;
    }
    this.step(node.pos);
    switch (node.kind) {
      case "action": {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.write(printValue(value));
        return;
      }
      case "if":
      case "with": {
        const mark = this.vars.length;
        const value = this.evalPipeline(dot, node.pipe);
        if (truth(value)) this.walkList(node.kind === "with" ? value : dot, node.list);
        else if (node.elseList) this.walkList(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case "range":
        this.walkRange(dot, node.pipe, node.list, node.elseList);
        return;
      case "break":
        throw BREAK;
      case "continue":
        throw CONTINUE;
    }
  }

  private walkRange(dot: Value, pipe: Pipeline, list: Node[], elseList: Node[] | undefined): void {
    const mark = this.vars.length;
    const value = this.evalPipeline(dot, pipe);
    const items: [Value, Value][] = [];
    if (Array.isArray(value)) value.forEach((v, i) => items.push([i, v]));
    else if (value instanceof GoMap) for (const key of value.sortedKeys()) items.push([key, value.entries.get(key)]);
    else if (typeof value === "number" && Number.isInteger(value)) for (let i = 0; i < value; i++) items.push([i, i]);
    else if (value !== null && value !== undefined) throw new ExecError(`range can't iterate over ${printValue(value)}`);
    const inner = this.vars.length;
    for (const [key, elem] of items) {
      this.step(pipe.pos);
      // Go's oneIteration: with one variable it holds the element, with two the key and the element.
      if (pipe.decl.length > 0) {
        if (pipe.isAssign) {
          this.setVar(pipe.decl[0], pipe.decl.length > 1 ? key : elem);
          if (pipe.decl.length > 1) this.setVar(pipe.decl[1], elem);
        } else if (pipe.decl.length > 1) {
          this.vars[inner - 2].value = key;
          this.vars[inner - 1].value = elem;
        } else {
          this.vars[inner - 1].value = elem;
        }
      }
      try {
        this.walkList(elem, list);
      } catch (signal) {
        if (signal === BREAK) break;
        if (signal !== CONTINUE) throw signal;
      } finally {
        this.vars.length = inner;
      }
    }
    if (items.length === 0 && elseList) this.walkList(dot, elseList);
    this.vars.length = mark;
  }

  private setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    throw new ExecError(`undefined variable: ${name}`);
  }

  private varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    throw new ExecError(`undefined variable: ${name}`);
  }

  private evalPipeline(dot: Value, pipe: Pipeline): Value {
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    const result = value === NO_FINAL ? undefined : value;
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, result);
      else this.vars.push({ name, value: result });
    }
    return result;
  }

  private evalCommand(dot: Value, cmd: Command, final: Final): Value {
    const [first, ...args] = cmd.args;
    this.step(first.pos);
    switch (first.kind) {
      case "field":
        return this.evalFields(dot, first.names, args, final);
      case "variable":
        return this.evalFields(this.varValue(first.name), first.names, args, final, first.names.length === 0);
      case "chain":
        return this.evalFields(this.evalOperand(dot, first.node), first.names, args, final);
      case "function":
        return this.evalFunction(dot, first.name, args, final, first.pos);
      case "pipe":
        this.notAFunction(args, final, "parenthesized pipeline");
        return this.evalPipeline(dot, first.pipe);
      case "nil":
        throw new ExecError("nil is not a command");
      default:
        this.notAFunction(args, final, this.src.slice(first.pos, first.pos + 20).split(/\s/)[0]);
        return this.evalOperand(dot, first);
    }
  }

  private notAFunction(args: Operand[], final: Final, what: string): void {
    if (args.length > 0 || final !== NO_FINAL) throw new ExecError(`can't give argument to non-function ${what}`);
  }

  /** An operand used as an argument. */
  private evalOperand(dot: Value, op: Operand): Value {
    this.pos = op.pos;
    switch (op.kind) {
      case "dot":
        return dot;
      case "nil":
        return null;
      case "string":
      case "number":
      case "bool":
        return op.value;
      case "field":
        return this.evalFields(dot, op.names, [], NO_FINAL);
      case "variable":
        return this.evalFields(this.varValue(op.name), op.names, [], NO_FINAL);
      case "chain":
        return this.evalFields(this.evalOperand(dot, op.node), op.names, [], NO_FINAL);
      case "pipe":
        return this.evalPipeline(dot, op.pipe);
      case "function":
        return this.evalFunction(dot, op.name, [], NO_FINAL, op.pos);
    }
  }

  private evalFields(receiver: Value, names: string[], args: Operand[], final: Final, isVariable = false): Value {
    if (names.length === 0) {
      if (isVariable) this.notAFunction(args, final, "variable");
      return receiver;
    }
    let value = receiver;
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      value = this.evalField(value, name, last && (args.length > 0 || final !== NO_FINAL));
    });
    return value;
  }

  // exec.go evalField: a map key (missing: no value), a struct field (missing: error).
  private evalField(receiver: Value, name: string, hasArgs: boolean): Value {
    if (receiver === undefined) return undefined;
    if (receiver instanceof GoMap) {
      if (hasArgs) throw new ExecError(`${name} is not a method but has arguments`);
      return receiver.entries.get(name);
    }
    if (isStruct(receiver) && Object.hasOwn(receiver, name)) {
      if (hasArgs) throw new ExecError(`${name} has arguments but cannot be invoked as function`);
      return receiver[name];
    }
    if (receiver === null) throw new ExecError(`nil pointer evaluating interface {}.${name}`);
    throw new ExecError(`can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private evalFunction(dot: Value, name: string, argNodes: Operand[], final: Final, pos: number): Value {
    if (name === "and" || name === "or") return this.evalLogic(dot, name, argNodes, final);
    const fn = FUNCTIONS[name];
    const count = argNodes.length + (final === NO_FINAL ? 0 : 1);
    const fixed = fn.variadic ? fn.params.length - 1 : fn.params.length;
    if (fn.variadic ? count < fixed : count !== fixed) {
      throw new ExecError(`wrong number of args for ${name}: want ${fn.variadic ? "at least " : ""}${fixed} got ${count}`);
    }
    const values = argNodes.map((n) => this.evalOperand(dot, n));
    if (final !== NO_FINAL) values.push(final);
    this.pos = pos;
    const args = values.map((v, i) => checkArg(name, v, fn.params[Math.min(i, fn.params.length - 1)]));
    try {
      const result = fn.call(args, this.ctx);
      // A value kept in a variable never reaches the output bound; this keeps it from growing without limit.
      if (typeof result === "string" && result.length > MAX_VALUE_CHARS) throw new ExecError(`result exceeds ${MAX_VALUE_CHARS} characters`);
      return result;
    } catch (err) {
      if (err instanceof ExecError && !err.message.startsWith("error calling")) throw new ExecError(`error calling ${name}: ${err.message}`);
      throw err;
    }
  }

  // funcs.go and/or: evaluate arguments one by one and stop at the first that decides.
  private evalLogic(dot: Value, name: "and" | "or", argNodes: Operand[], final: Final): Value {
    const count = argNodes.length + (final === NO_FINAL ? 0 : 1);
    if (count < 1) throw new ExecError(`wrong number of args for ${name}: want at least 1 got 0`);
    let value: Value = undefined;
    for (let i = 0; i < count; i++) {
      value = i < argNodes.length ? this.evalOperand(dot, argNodes[i]) : (final as Value);
      if (truth(value) === (name === "or")) return value;
    }
    return value;
  }
}
