import { lex, syntaxError, type Token } from "./lexer";

/**
 * The parse tree of Go's text/template (https://github.com/golang/go/blob/master/src/text/template/parse/parse.go)
 * for the supported subset: text, actions, if / else if / else, with / else with, range with
 * break and continue, variables and pipelines. `define`, `template` and `block` are refused: an
 * Alert carries one template, there is nothing to name or include.
 */

export type Node = TextNode | ActionNode | BranchNode | LoopControlNode;

export interface TextNode {
  kind: "text";
  text: string;
}

export interface ActionNode {
  kind: "action";
  pos: number;
  pipe: Pipeline;
}

export interface BranchNode {
  kind: "if" | "with" | "range";
  pos: number;
  pipe: Pipeline;
  list: Node[];
  elseList: Node[] | undefined;
}

export interface LoopControlNode {
  kind: "break" | "continue";
  pos: number;
}

export interface Pipeline {
  pos: number;
  /** Variables declared (`:=`) or assigned (`=`) by the pipeline, in source order. */
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

export interface Command {
  pos: number;
  args: Operand[];
}

export type Operand =
  | { kind: "field"; pos: number; names: string[] }
  | { kind: "variable"; pos: number; name: string; names: string[] }
  | { kind: "dot"; pos: number }
  | { kind: "nil"; pos: number }
  | { kind: "function"; pos: number; name: string }
  | { kind: "string"; pos: number; value: string }
  | { kind: "number"; pos: number; value: number; text: string }
  | { kind: "bool"; pos: number; value: boolean }
  | { kind: "pipe"; pos: number; pipe: Pipeline }
  | { kind: "chain"; pos: number; node: Operand; names: string[] };

/** A parsed template: its source (for error positions) and its tree. */
export interface ParsedTemplate {
  source: string;
  root: Node[];
}

const UNSUPPORTED_KEYWORDS = new Set(["define", "template", "block"]);

/** Parses a template; every name called as a function must be in `functions`. */
export function parse(source: string, functions: ReadonlySet<string>): ParsedTemplate {
  const parser = new Parser(source, lex(source), functions);
  return { source, root: parser.parseRoot() };
}

class Parser {
  private i = 0;
  private readonly vars: string[] = ["$"];
  private rangeDepth = 0;

  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
    private readonly functions: ReadonlySet<string>,
  ) {}

  parseRoot(): Node[] {
    const { list, end } = this.parseList();
    if (end) throw this.error(end, `unexpected {{${end.value}}}`);
    return list;
  }

  private error(token: Token | { pos: number }, detail: string): Error {
    return syntaxError(this.src, token.pos, detail);
  }

  private peek(): Token {
    return this.tokens[this.i];
  }

  private next(): Token {
    return this.tokens[this.i++];
  }

  /** The next token that is not a space. */
  private nextNonSpace(): Token {
    let token = this.next();
    while (token.type === "space") token = this.next();
    return token;
  }

  private peekNonSpace(): Token {
    const save = this.i;
    const token = this.nextNonSpace();
    this.i = save;
    return token;
  }

  private expectRight(context: string): void {
    const token = this.nextNonSpace();
    if (token.type !== "right") throw this.error(token, `unexpected ${describe(token)} in ${context}`);
  }

  /**
   * Parses nodes up to `{{end}}`, `{{else}}` or EOF. `end` is the keyword token that stopped the
   * list (its closing `}}` not yet consumed for `else`), undefined at EOF.
   */
  private parseList(): { list: Node[]; end?: Token } {
    const list: Node[] = [];
    for (;;) {
      const token = this.next();
      if (token.type === "eof") return { list };
      if (token.type === "text") {
        list.push({ kind: "text", text: token.value });
        continue;
      }
      // token is `{{`
      const first = this.peekNonSpace();
      if (first.type === "keyword") {
        this.nextNonSpace();
        switch (first.value) {
          case "end":
            this.expectRight("end");
            return { list, end: first };
          case "else":
            return { list, end: first };
          case "if":
          case "with":
          case "range":
            list.push(this.parseBranch(first.value, first));
            continue;
          case "break":
          case "continue":
            if (this.rangeDepth === 0) throw this.error(first, `{{${first.value}}} outside {{range}}`);
            this.expectRight(first.value);
            list.push({ kind: first.value, pos: first.pos });
            continue;
          default:
            throw this.error(first, UNSUPPORTED_KEYWORDS.has(first.value) ? `{{${first.value}}} is not supported: an Alert has a single template` : `unexpected ${describe(first)}`);
        }
      }
      const pipe = this.parsePipeline("command", true);
      list.push({ kind: "action", pos: token.pos, pipe });
    }
  }

  private parseBranch(kind: "if" | "with" | "range", keyword: Token): BranchNode {
    const varsBefore = this.vars.length;
    const pipe = this.parsePipeline(kind, kind === "range" ? "range" : true);
    if (kind === "range") this.rangeDepth++;
    const body = this.parseList();
    if (kind === "range") this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (!body.end) throw this.error({ pos: this.src.length }, `unexpected EOF: {{${kind}}} at ${this.at(keyword)} has no {{end}}`);
    if (body.end.value === "else") {
      const after = this.peekNonSpace();
      // `{{else if ...}}` / `{{else with ...}}`: a nested branch that shares this one's {{end}}.
      if (after.type === "keyword" && (after.value === "if" || after.value === "with") && kind !== "range") {
        this.nextNonSpace();
        this.vars.length = varsBefore;
        elseList = [this.parseBranch(after.value, after)];
      } else {
        this.expectRight("else");
        const rest = this.parseList();
        if (!rest.end) throw this.error({ pos: this.src.length }, `unexpected EOF: {{${kind}}} at ${this.at(keyword)} has no {{end}}`);
        if (rest.end.value !== "end") throw this.error(rest.end, "expected end; found {{else}}");
        elseList = rest.list;
      }
    }
    this.vars.length = varsBefore;
    return { kind, pos: keyword.pos, pipe, list: body.list, elseList };
  }

  private at(token: Token): string {
    const before = this.src.slice(0, token.pos);
    const line = before.split("\n").length;
    return `${line}:${token.pos - before.lastIndexOf("\n")}`;
  }

  /** `decl` true: `$x :=` / `$x =` allowed; "range": also `$k, $v :=`. */
  private parsePipeline(context: string, decl: boolean | "range", end: "right" | "rightParen" = "right"): Pipeline {
    const start = this.peekNonSpace();
    const pipe: Pipeline = { pos: start.pos, decl: [], isAssign: false, cmds: [] };
    if (decl && start.type === "variable") this.parseDeclarations(pipe, decl === "range");
    for (;;) {
      const token = this.peekNonSpace();
      if (token.type === end) {
        this.nextNonSpace();
        break;
      }
      if (token.type === "eof" || token.type === "right" || token.type === "rightParen") {
        throw this.error(token, `unexpected ${describe(token)} in ${context}`);
      }
      pipe.cmds.push(this.parseCommand(context));
      const after = this.peekNonSpace();
      if (after.type === "pipe") {
        this.nextNonSpace();
        if (this.peekNonSpace().type === end) throw this.error(after, "missing command after |");
      }
    }
    if (pipe.cmds.length === 0) throw this.error(start, `missing value for ${context}`);
    for (const cmd of pipe.cmds.slice(1)) {
      const first = cmd.args[0];
      if (first.kind !== "function" && first.kind !== "field" && first.kind !== "variable" && first.kind !== "chain") {
        throw this.error(first, `non executable command in pipeline stage ${pipe.cmds.indexOf(cmd) + 1}`);
      }
    }
    for (const name of pipe.decl) if (!pipe.isAssign) this.vars.push(name);
    return pipe;
  }

  private parseDeclarations(pipe: Pipeline, allowTwo: boolean): void {
    const save = this.i;
    const first = this.nextNonSpace();
    const op = this.nextNonSpace();
    if (op.type === "declare" || op.type === "assign") {
      if (op.type === "assign" && !this.vars.includes(first.value)) throw this.error(first, `undefined variable "${first.value}"`);
      pipe.decl.push(first.value);
      pipe.isAssign = op.type === "assign";
      return;
    }
    if (op.type === "comma" && allowTwo) {
      const second = this.nextNonSpace();
      const declare = this.nextNonSpace();
      if (second.type !== "variable" || (declare.type !== "declare" && declare.type !== "assign")) {
        throw this.error(second, "range can only initialize variables");
      }
      pipe.decl.push(first.value, second.value);
      pipe.isAssign = declare.type === "assign";
      return;
    }
    if (op.type === "comma") throw this.error(op, "too many declarations");
    this.i = save;
  }

  private parseCommand(context: string): Command {
    const cmd: Command = { pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      const token = this.peekNonSpace();
      if (token.type === "right" || token.type === "rightParen" || token.type === "pipe" || token.type === "eof") break;
      if (cmd.args.length > 0 && this.peek().type !== "space") throw this.error(token, `missing space before ${describe(token)}`);
      cmd.args.push(this.parseOperand(context));
    }
    if (cmd.args.length === 0) throw this.error(this.peekNonSpace(), "empty command");
    return cmd;
  }

  private parseOperand(context: string): Operand {
    const term = this.parseTerm(context);
    const chain: string[] = [];
    while (this.peek().type === "field") chain.push(this.next().value.slice(1));
    if (chain.length === 0) return term;
    switch (term.kind) {
      case "field":
        return { ...term, names: [...term.names, ...chain] };
      case "variable":
        return { ...term, names: [...term.names, ...chain] };
      case "string":
      case "number":
      case "bool":
      case "nil":
      case "dot":
        throw this.error(term, `unexpected . after term ${JSON.stringify(this.src.slice(term.pos, this.tokens[this.i - chain.length].pos))}`);
      default:
        return { kind: "chain", pos: term.pos, node: term, names: chain };
    }
  }

  private parseTerm(context: string): Operand {
    const token = this.nextNonSpace();
    const pos = token.pos;
    switch (token.type) {
      case "identifier":
        if (!this.functions.has(token.value)) throw this.error(token, `function "${token.value}" not defined`);
        return { kind: "function", pos, name: token.value };
      case "dot":
        return { kind: "dot", pos };
      case "nil":
        return { kind: "nil", pos };
      case "variable":
        if (!this.vars.includes(token.value)) throw this.error(token, `undefined variable "${token.value}"`);
        return { kind: "variable", pos, name: token.value, names: [] };
      case "field":
        return { kind: "field", pos, names: [token.value.slice(1)] };
      case "bool":
        return { kind: "bool", pos, value: token.value === "true" };
      case "string":
        return { kind: "string", pos, value: token.value };
      case "number":
        return { kind: "number", pos, value: parseNumber(token, this.src), text: token.value };
      case "leftParen":
        return { kind: "pipe", pos, pipe: this.parsePipeline("parenthesized pipeline", false, "rightParen") };
      default:
        throw this.error(token, `unexpected ${describe(token)} in ${context}`);
    }
  }
}

function parseNumber(token: Token, src: string): number {
  const text = token.value.replace(/_/g, "");
  const sign = text.startsWith("-") ? -1 : 1;
  const digits = text.replace(/^[+-]/, "");
  let value: number;
  if (/^0[xX]/.test(digits)) value = Number.parseInt(digits.slice(2), 16);
  else if (/^0[bB]/.test(digits)) value = Number.parseInt(digits.slice(2), 2);
  else if (/^0[oO]/.test(digits)) value = Number.parseInt(digits.slice(2), 8);
  else if (/^0\d+$/.test(digits)) value = Number.parseInt(digits, 8);
  else value = Number(digits);
  if (!Number.isFinite(value)) throw syntaxError(src, token.pos, `illegal number syntax: ${JSON.stringify(token.value)}`);
  return sign * value;
}

function describe(token: Token): string {
  switch (token.type) {
    case "eof":
      return "EOF";
    case "right":
      return '"}}"';
    case "keyword":
      return `<${token.value}>`;
    default:
      return JSON.stringify(token.value);
  }
}
