import type { FluxEvent } from "../flux/event";
import type { AlertManifest, ProviderType } from "../flux/manifests";
import type { NotifyContext, RenderedText } from "../notifiers/types";
import { compileTemplate, GoMap, GoTime, renderTemplate, TemplateExecError, TemplateSyntaxError, type ParsedTemplate, type Value } from "./template/template";

/**
 * An Alert's message templates (README.md, "Message templates"): annotations holding Go
 * text/template sources, rendered once per (event, Alert) before the notifier formats, so each
 * notifier only picks the rendered field where it puts Flux's message or title.
 */

export const TEMPLATE_ANNOTATION = "flux-relay.fluxcd.io/template";
export const TITLE_TEMPLATE_ANNOTATION = "flux-relay.fluxcd.io/title-template";
export const BODY_TEMPLATE_ANNOTATION = "flux-relay.fluxcd.io/body-template";

const ANNOTATIONS = { message: TEMPLATE_ANNOTATION, title: TITLE_TEMPLATE_ANNOTATION, body: BODY_TEMPLATE_ANNOTATION } as const;
type Part = keyof typeof ANNOTATIONS;

/** Provider types whose whole request body a body template may replace. */
const BODY_TEMPLATE_TYPES: ReadonlySet<ProviderType> = new Set<ProviderType>(["generic", "generic-hmac"]);

/** A template annotation that does not parse: the Alert is not Ready (src/delivery/alert-status.ts). */
export interface TemplateProblem {
  annotation: string;
  message: string;
  line: number;
  column: number;
}

// Parsed templates by source: an Alert's templates are parsed once per isolate, not per event.
const cache = new Map<string, ParsedTemplate | TemplateSyntaxError>();
const CACHE_LIMIT = 256;

function compiled(source: string): ParsedTemplate | TemplateSyntaxError {
  let entry = cache.get(source);
  if (entry === undefined) {
    try {
      entry = compileTemplate(source);
    } catch (err) {
      if (!(err instanceof TemplateSyntaxError)) throw err;
      entry = err;
    }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(source, entry);
  }
  return entry;
}

function sources(alert: AlertManifest | undefined): [Part, string][] {
  const annotations = alert?.metadata.annotations;
  if (!annotations) return [];
  return (Object.keys(ANNOTATIONS) as Part[]).flatMap((part) => (annotations[ANNOTATIONS[part]] === undefined ? [] : [[part, annotations[ANNOTATIONS[part]]] as [Part, string]]));
}

/** Whether the Alert carries any template annotation. */
export function hasTemplates(alert: AlertManifest | undefined): boolean {
  return sources(alert).length > 0;
}

/** Every template annotation of the Alert that fails to parse, with line and column. */
export function templateProblems(alert: AlertManifest): TemplateProblem[] {
  return sources(alert).flatMap(([part, source]) => {
    const entry = compiled(source);
    return entry instanceof TemplateSyntaxError ? [{ annotation: ANNOTATIONS[part], message: entry.detail, line: entry.line, column: entry.column }] : [];
  });
}

/** The data a template sees, named as Flux's Go structs name them. */
export function templateData(event: FluxEvent, alert: AlertManifest | undefined, cluster: string | undefined): Value {
  const { kind, namespace, name, uid, apiVersion } = event.involvedObject;
  return {
    Cluster: cluster ?? event.metadata.cluster ?? "",
    InvolvedObject: { Kind: kind, Namespace: namespace, Name: name, UID: uid, APIVersion: apiVersion },
    Severity: event.severity,
    Reason: event.reason,
    Message: event.message,
    // A Go zero time.Time (0001-01-01) when the event has no timestamp, as metav1.Time would be.
    Timestamp: new GoTime(event.timestamp ? Date.parse(event.timestamp) : ZERO_TIME),
    Revision: event.metadata.revision ?? "",
    Metadata: GoMap.fromRecord(event.metadata),
    Alert: { Name: alert?.metadata.name ?? "", Namespace: alert?.metadata.namespace ?? "" },
    Transition: event.metadata.transition ?? "",
  };
}

const ZERO_TIME = -62135596800000;

/** The result of rendering an Alert's templates for one event. */
export type TemplateOutcome = { rendered: RenderedText } | { error: string } | undefined;

/**
 * Renders the Alert's templates for an event; undefined without templates. Any failure (a
 * template that does not parse, an execution error, a body that is not JSON) means no rendered
 * text at all: the notifier formats Flux's own message and the error is reported.
 */
export function renderAlertTemplates(ctx: Pick<NotifyContext, "event" | "alert" | "cluster" | "now">, type: ProviderType): TemplateOutcome {
  const parts = sources(ctx.alert).filter(([part]) => part !== "body" || BODY_TEMPLATE_TYPES.has(type));
  if (parts.length === 0) return undefined;
  const data = templateData(ctx.event, ctx.alert, ctx.cluster);
  const rendered: RenderedText = {};
  for (const [part, source] of parts) {
    const entry = compiled(source);
    const where = ANNOTATIONS[part];
    if (entry instanceof TemplateSyntaxError) return { error: `${where}: ${entry.message}` };
    try {
      rendered[part] = renderTemplate(entry, data, { now: ctx.now }).text;
    } catch (err) {
      if (err instanceof TemplateExecError) return { error: `${where}: ${err.message}` };
      throw err;
    }
  }
  if (rendered.body !== undefined) {
    try {
      JSON.parse(rendered.body);
    } catch (err) {
      return { error: `${BODY_TEMPLATE_ANNOTATION}: output is not valid JSON: ${(err as Error).message}` };
    }
  }
  return { rendered };
}

/**
 * The notifier context with the Alert's rendered text: `event.message` replaced by the message
 * template (so every type puts it where Flux puts the message) and `rendered` set. Without
 * templates the context is returned as it is, so requests stay byte for byte Flux's.
 */
export function withTemplates(ctx: NotifyContext): { ctx: NotifyContext; templateError?: string } {
  const outcome = renderAlertTemplates(ctx, ctx.settings.type);
  if (outcome === undefined) return { ctx };
  if ("error" in outcome) return { ctx, templateError: `${outcome.error}; delivered the Flux message instead` };
  const { rendered } = outcome;
  const event = rendered.message === undefined ? ctx.event : { ...ctx.event, message: rendered.message };
  return { ctx: { ...ctx, event, rendered } };
}
