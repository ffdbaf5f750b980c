import { execute, type ExecResult } from "./exec";
import { FUNCTION_NAMES } from "./functions";
import { TemplateSyntaxError } from "./lexer";
import { parse, type ParsedTemplate } from "./parser";
import { utf8Length, type Value } from "./values";

/**
 * The relay's Go text/template: parse once, render many times, both bounded. The supported
 * subset and the functions are listed in README.md ("Message templates").
 */

/** Largest template source accepted, in UTF-8 bytes. */
export const MAX_TEMPLATE_BYTES = 16 * 1024;
/** Largest rendered text, in UTF-8 bytes (marker included); longer output is cut. */
export const MAX_OUTPUT_BYTES = 16 * 1024;
/** Nodes, commands and range iterations one rendering may evaluate. */
export const MAX_STEPS = 10_000;
/** Ends a rendering cut at MAX_OUTPUT_BYTES. */
export const TRUNCATION_MARKER = "…[truncated]";

export { TemplateSyntaxError } from "./lexer";
export { TemplateExecError } from "./exec";
export { GoMap, GoTime, type Value } from "./values";

/** Parses a template; throws a TemplateSyntaxError (with line and column) when it is invalid. */
export function compileTemplate(source: string): ParsedTemplate {
  const size = utf8Length(source);
  if (size > MAX_TEMPLATE_BYTES) throw new TemplateSyntaxError(`template is ${size} bytes, the limit is ${MAX_TEMPLATE_BYTES}`, 1, 1);
  return parse(source, FUNCTION_NAMES);
}

export interface RenderOptions {
  /** Milliseconds since the epoch, for `ago` and `date`. */
  now: number;
  maxSteps?: number;
  maxOutputBytes?: number;
}

/** Renders a parsed template; throws a TemplateExecError (with line and column) on failure. */
export function renderTemplate(tmpl: ParsedTemplate, data: Value, options: RenderOptions): ExecResult {
  return execute(
    tmpl,
    data,
    { maxSteps: options.maxSteps ?? MAX_STEPS, maxOutputBytes: options.maxOutputBytes ?? MAX_OUTPUT_BYTES, truncationMarker: TRUNCATION_MARKER },
    { now: options.now },
  );
}

export type { ParsedTemplate } from "./parser";
export type { ExecResult } from "./exec";
