/**
 * Tokens of Go's text/template (https://github.com/golang/go/blob/master/src/text/template/parse/lex.go),
 * for the default `{{ }}` delimiters. Trim markers (`{{- ` and ` -}}`) are applied here, as Go's
 * lexer does, by cutting the surrounding text; comments produce no token.
 */
import { lineColumn } from "../../lib/line-column";

export type TokenType =
  | "text"
  | "left"
  | "right"
  | "space"
  | "field"
  | "variable"
  | "identifier"
  | "keyword"
  | "string"
  | "number"
  | "bool"
  | "nil"
  | "dot"
  | "declare"
  | "assign"
  | "pipe"
  | "leftParen"
  | "rightParen"
  | "comma"
  | "eof";

export interface Token {
  type: TokenType;
  /** Source text; for `string` tokens the decoded value. */
  value: string;
  /** Offset in the template source, for line:column in errors. */
  pos: number;
}

const KEYWORDS = new Set(["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"]);
const TRIM_SPACE = /[ \t\r\n]/;

/**
 * A template error with its position (1-based line and column), as `template: 2:5: <detail>`.
 * Its name is spelled out like every error's: the bundle is built without keep_names (src/lib/errors.ts).
 */
export class TemplateError extends Error {
  override name = "TemplateError";

  constructor(
    readonly detail: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`template: ${line}:${column}: ${detail}`);
  }
}

/** A template that cannot be parsed, with the position of the offending text. */
export class TemplateSyntaxError extends TemplateError {
  override name = "TemplateSyntaxError";
}

export function syntaxError(src: string, pos: number, detail: string): TemplateSyntaxError {
  const { line, column } = lineColumn(src, pos);
  return new TemplateSyntaxError(detail, line, column);
}

function isTrimMarker(src: string, at: number, before: boolean): boolean {
  // `{{- ` needs the space after the dash, ` -}}` the space before it (else `{{-3}}` is a number).
  return before ? src[at] === "-" && TRIM_SPACE.test(src[at + 1] ?? "") : src[at] === "-" && TRIM_SPACE.test(src[at - 1] ?? "");
}

function trimRight(text: string): string {
  let end = text.length;
  while (end > 0 && TRIM_SPACE.test(text[end - 1])) end--;
  return text.slice(0, end);
}

/** Splits a template into tokens; throws a TemplateSyntaxError with line and column. */
export function lex(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let trimNext = false;
  const pushText = (text: string, pos: number) => {
    if (text.length > 0) tokens.push({ type: "text", value: text, pos });
  };
  while (i <= src.length) {
    const open = src.indexOf("{{", i);
    let textStart = i;
    if (trimNext) {
      while (textStart < src.length && TRIM_SPACE.test(src[textStart])) textStart++;
      trimNext = false;
    }
    if (open < 0) {
      pushText(src.slice(textStart, src.length), textStart);
      break;
    }
    let inner = open + 2;
    const trimBefore = isTrimMarker(src, inner, true);
    const text = src.slice(textStart, Math.max(open, textStart));
    pushText(trimBefore ? trimRight(text) : text, textStart);
    if (trimBefore) inner += 2;
    // A comment: `{{/* ... */}}`, the delimiters (and trim markers) right next to it.
    if (src.startsWith("/*", inner)) {
      const close = src.indexOf("*/", inner + 2);
      if (close < 0) throw syntaxError(src, open, "unclosed comment");
      let after = close + 2;
      if (src[after] === " " && isTrimMarker(src, after + 1, false) && src.startsWith("}}", after + 2)) {
        trimNext = true;
        after += 2;
      }
      if (!src.startsWith("}}", after)) throw syntaxError(src, close, "comment ends before closing delimiter");
      i = after + 2;
      continue;
    }
    tokens.push({ type: "left", value: "{{", pos: open });
    i = lexAction(src, inner, tokens);
    const right = tokens[tokens.length - 1];
    trimNext = right.value === "-}}";
  }
  tokens.push({ type: "eof", value: "", pos: src.length });
  return tokens;
}

/** Lexes the inside of one action starting at `i`; returns the offset after its `}}`. */
function lexAction(src: string, start: number, tokens: Token[]): number {
  let i = start;
  let parens = 0;
  for (;;) {
    if (i >= src.length) throw syntaxError(src, start, "unclosed action");
    const ch = src[i];
    if (TRIM_SPACE.test(ch)) {
      const from = i;
      while (i < src.length && TRIM_SPACE.test(src[i])) i++;
      if (isTrimMarker(src, i, false) && src.startsWith("}}", i + 1)) {
        tokens.push({ type: "right", value: "-}}", pos: i });
        return i + 3;
      }
      tokens.push({ type: "space", value: " ", pos: from });
      continue;
    }
    if (src.startsWith("}}", i)) {
      if (parens > 0) throw syntaxError(src, i, "unclosed left paren");
      tokens.push({ type: "right", value: "}}", pos: i });
      return i + 2;
    }
    const pos = i;
    if (ch === ":") {
      if (src[i + 1] !== "=") throw syntaxError(src, i, "expected :=");
      tokens.push({ type: "declare", value: ":=", pos });
      i += 2;
    } else if (ch === "=") {
      tokens.push({ type: "assign", value: "=", pos });
      i++;
    } else if (ch === "|") {
      tokens.push({ type: "pipe", value: "|", pos });
      i++;
    } else if (ch === ",") {
      tokens.push({ type: "comma", value: ",", pos });
      i++;
    } else if (ch === "(") {
      parens++;
      tokens.push({ type: "leftParen", value: "(", pos });
      i++;
    } else if (ch === ")") {
      if (--parens < 0) throw syntaxError(src, i, "unexpected right paren");
      tokens.push({ type: "rightParen", value: ")", pos });
      i++;
    } else if (ch === '"') {
      i = lexQuote(src, i, tokens);
    } else if (ch === "`") {
      const close = src.indexOf("`", i + 1);
      if (close < 0) throw syntaxError(src, i, "unterminated raw quoted string");
      tokens.push({ type: "string", value: src.slice(i + 1, close).replace(/\r/g, ""), pos });
      i = close + 1;
    } else if (ch === "'") {
      i = lexChar(src, i, tokens);
    } else if (ch === "$") {
      const end = identEnd(src, i + 1);
      tokens.push({ type: "variable", value: src.slice(i, end), pos });
      i = end;
    } else if (ch === "." && !isDigit(src[i + 1])) {
      const end = identEnd(src, i + 1);
      tokens.push(end === i + 1 ? { type: "dot", value: ".", pos } : { type: "field", value: src.slice(i, end), pos });
      i = end;
    } else if (isDigit(ch) || ((ch === "-" || ch === "+" || ch === ".") && (isDigit(src[i + 1]) || src[i + 1] === "."))) {
      const match = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?[\d_]*([eE][+-]?\d+)?)/.exec(src.slice(i));
      const text = match?.[0] ?? "";
      if (!text || /[A-Za-z0-9_.]/.test(src[i + text.length] ?? "")) throw syntaxError(src, i, `bad number syntax: ${JSON.stringify(src.slice(i, identEnd(src, i + 1)))}`);
      tokens.push({ type: "number", value: text, pos });
      i += text.length;
    } else if (isIdentStart(ch)) {
      const end = identEnd(src, i);
      const word = src.slice(i, end);
      const type: TokenType = KEYWORDS.has(word) ? "keyword" : word === "true" || word === "false" ? "bool" : word === "nil" ? "nil" : "identifier";
      tokens.push({ type, value: word, pos });
      i = end;
    } else {
      throw syntaxError(src, i, `unrecognized character in action: ${JSON.stringify(ch)}`);
    }
  }
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'", a: "\x07", b: "\b", f: "\f", v: "\v", "0": "\0" };

function lexQuote(src: string, start: number, tokens: Token[]): number {
  let out = "";
  let i = start + 1;
  for (;;) {
    const ch = src[i];
    if (ch === undefined || ch === "\n") throw syntaxError(src, start, "unterminated quoted string");
    if (ch === '"') break;
    if (ch === "\\") {
      const [value, length] = escape(src, i, start);
      out += value;
      i += length;
      continue;
    }
    out += ch;
    i++;
  }
  tokens.push({ type: "string", value: out, pos: start });
  return i + 1;
}

function escape(src: string, i: number, start: number): [string, number] {
  const next = src[i + 1];
  const hex = (n: number) => {
    const digits = src.slice(i + 2, i + 2 + n);
    if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) throw syntaxError(src, start, "invalid syntax in quoted string");
    return String.fromCodePoint(Number.parseInt(digits, 16));
  };
  if (next === "x") return [hex(2), 4];
  if (next === "u") return [hex(4), 6];
  if (next === "U") return [hex(8), 10];
  if (next !== undefined && next in ESCAPES) return [ESCAPES[next], 2];
  throw syntaxError(src, start, "invalid syntax in quoted string");
}

/** A character constant such as 'x' is a number in Go (its code point). */
function lexChar(src: string, start: number, tokens: Token[]): number {
  let value: string;
  let i = start + 1;
  if (src[i] === "\\") {
    const [decoded, length] = escape(src, i, start);
    value = decoded;
    i += length;
  } else {
    const cp = src.codePointAt(i);
    if (cp === undefined || src[i] === "'") throw syntaxError(src, start, "empty character constant");
    value = String.fromCodePoint(cp);
    i += value.length;
  }
  if (src[i] !== "'") throw syntaxError(src, start, "unterminated character constant");
  tokens.push({ type: "number", value: String(value.codePointAt(0)), pos: start });
  return i + 1;
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

function isIdentStart(ch: string): boolean {
  return /[\p{L}_]/u.test(ch);
}

function identEnd(src: string, i: number): number {
  let end = i;
  while (end < src.length && /[\p{L}\p{N}_]/u.test(src[end])) end++;
  return end;
}
