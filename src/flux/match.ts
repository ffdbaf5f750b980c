import type { FluxEvent } from "./event";
import type { AlertManifest, EventSource } from "./manifests";
import { compile, isInvalid, matches } from "./regex";

/**
 * Why an Alert misbehaves. `InvalidConfig` and `SourceFetchFailed` are Flux's Warning-event reasons;
 * `NoEventSources` is the relay's, for an Alert that is valid but can never match, and
 * `InvalidClusterSelector` the relay's for an unusable cluster selection (src/rules/clusters.ts).
 */
export type AlertProblemReason = "InvalidConfig" | "SourceFetchFailed" | "NoEventSources" | "InvalidClusterSelector";

/** A problem to surface as a Warning event (matchAlert) or on the Alert's status (alertConfigProblems). */
export interface AlertProblem {
  reason: AlertProblemReason;
  message: string;
  /** Path of the offending field, e.g. `spec.inclusionList[2]`. */
  field?: string;
}

/** Whether an Alert selects an event, and the Warning events Flux would have recorded meanwhile. */
export interface AlertMatch {
  matched: boolean;
  problems: AlertProblem[];
}

const NO_LIVE_OBJECTS = "matchLabels needs the live object's labels, which the relay cannot read";

/**
 * Flux's filterAlertsForEvent for one Alert (spec 2.1-2.5): suspend, sources, inclusion list,
 * exclusion list, in that order and with Flux's short-circuits, so `problems` holds exactly the
 * Warning events Flux would record for this event (e.g. an invalid inclusion entry after a matching
 * one is never compiled, hence not reported; alertConfigProblems reports every one).
 */
export function matchAlert(event: FluxEvent, alert: AlertManifest): AlertMatch {
  const problems: AlertProblem[] = [];
  const no = { matched: false, problems };
  if (alert.spec.suspend) return no;
  if (!matchesSources(event, alert, problems)) return no;
  if (alert.spec.inclusionList.length > 0 && !listMatches("inclusion", alert.spec.inclusionList, event.message, problems)) return no;
  if (listMatches("exclusion", alert.spec.exclusionList, event.message, problems)) return no;
  return { matched: true, problems };
}

function matchesSources(event: FluxEvent, alert: AlertManifest, problems: AlertProblem[]): boolean {
  const { kind, namespace, name } = event.involvedObject;
  return alert.spec.eventSources.some((source, i) => {
    // Go tests for "", so an explicit empty namespace defaults too. `*` matching every namespace
    // is the relay's extension: in Flux it names a namespace Kubernetes never allows, so no
    // working Flux Alert changes meaning, and a hub cannot list every namespace of every cluster.
    const sourceNamespace = source.namespace || alert.metadata.namespace;
    if ((sourceNamespace !== "*" && namespace !== sourceNamespace) || kind !== source.kind) return false;
    const severity = alert.spec.eventSeverity;
    if (severity !== "info" && event.severity !== severity) return false;
    if (source.name !== "*" && source.name !== name) return false;
    if (source.matchLabels === null || source.matchLabels === undefined) return true;
    problems.push({
      reason: "SourceFetchFailed",
      message: `error getting source object ${kind}/${namespace}/${name}: ${NO_LIVE_OBJECTS}`,
      field: `spec.eventSources[${i}].matchLabels`,
    });
    return false;
  });
}

function listMatches(list: "inclusion" | "exclusion", patterns: string[], message: string, problems: AlertProblem[]): boolean {
  for (const [i, pattern] of patterns.entries()) {
    const compiled = compile(pattern);
    if (isInvalid(compiled)) {
      problems.push({ reason: "InvalidConfig", message: `failed to compile ${list} regex: ${pattern}`, field: `spec.${list}List[${i}]` });
    } else if (matches(compiled, message)) {
      return true;
    }
  }
  return false;
}

/**
 * Everything wrong with an Alert that can be known without an event, for its status page: invalid
 * regexes (with RE2's error), matchLabels entries (never match on the relay), and entries or lists
 * that can never match (no sources, a glob in a name, which Flux reads literally and Kubernetes
 * never allows in a real name).
 */
export function alertConfigProblems(alert: AlertManifest): AlertProblem[] {
  const problems: AlertProblem[] = [];
  if (alert.spec.eventSources.length === 0) {
    problems.push({ reason: "NoEventSources", message: "spec.eventSources is empty, so the Alert matches no event", field: "spec.eventSources" });
  }
  for (const [i, source] of alert.spec.eventSources.entries()) {
    const field = `spec.eventSources[${i}]`;
    const ref = sourceRef(source, alert);
    if (source.matchLabels !== null && source.matchLabels !== undefined) {
      problems.push({ reason: "SourceFetchFailed", message: `event source ${ref} never matches: ${NO_LIVE_OBJECTS}`, field: `${field}.matchLabels` });
    }
    if (source.name !== "*" && /[*?]/.test(source.name)) {
      problems.push({ reason: "InvalidConfig", message: `event source ${ref} never matches: only a name of exactly '*' is a wildcard, other names are compared literally`, field: `${field}.name` });
    }
  }
  for (const list of ["inclusion", "exclusion"] as const) {
    for (const [i, pattern] of alert.spec[`${list}List`].entries()) {
      const compiled = compile(pattern);
      if (isInvalid(compiled)) {
        problems.push({ reason: "InvalidConfig", message: `failed to compile ${list} regex: ${pattern}: ${compiled.error}`, field: `spec.${list}List[${i}]` });
      }
    }
  }
  return problems;
}

// Flux's crossNSObjectRefString, with the namespace defaulted as matching does.
function sourceRef(source: EventSource, alert: AlertManifest): string {
  return `${source.kind}/${source.namespace || alert.metadata.namespace}/${source.name}`;
}
