import type { FluxEvent } from "../../flux/event";
import { FormatError, type NotifyContext, type Skip } from "../types";
import { commitStatusId } from "./commit-status-id";
import { commitSha } from "./revision";

/** What every commit-status notifier posts, computed once per event. */
export interface CommitStatus<State extends string> {
  /** The commit status identifier (context / name / key source), see commitStatusId. */
  id: string;
  sha: string;
  state: State;
  /** The event reason split at camel-case boundaries, lower-cased: `health check failed`. */
  description: string;
  /** `lower(kind/name)`, the display name Bitbucket uses. */
  name: string;
}

export interface StateMapping<State extends string> {
  info: State;
  error: State;
  /** Go's error text for any other severity, e.g. `can't convert to github state`. */
  unknown: string;
  /** Gitea posts this state for `Progressing`; every other host skips those events. */
  progressing?: State;
}

const PROGRESSING = "Progressing";

/**
 * The common part of Flux's git notifiers, in Go's order: the id first (it is computed before the
 * notifier runs, so a broken commitStatusExpr fails even `Progressing` events), then the
 * `Progressing` skip, the commit SHA and the state.
 */
export function prepareCommitStatus<State extends string>(ctx: NotifyContext, states: StateMapping<State>): CommitStatus<State> | Skip {
  const { event } = ctx;
  const id = commitStatusId(ctx);
  if (event.reason === PROGRESSING && !states.progressing) return { skip: "Progressing events are not posted as commit statuses" };
  const sha = commitSha(event.metadata);
  // The Alert's message template, when set, is the description (Flux's is the reason in words).
  const description = ctx.rendered?.message ?? describeReason(event.reason);
  return { id, sha, state: toState(event, states), description, name: statusName(event) };
}

function toState<State extends string>(event: FluxEvent, states: StateMapping<State>): State {
  if (event.reason === PROGRESSING && states.progressing) return states.progressing;
  if (event.severity === "info") return states.info;
  if (event.severity === "error") return states.error;
  throw new FormatError(states.unknown);
}

export function statusName(event: FluxEvent): string {
  return `${event.involvedObject.kind}/${event.involvedObject.name}`.toLowerCase();
}

/** Flux's formatNameAndDescription description: `ReconciliationSucceeded` -> `reconciliation succeeded`. */
export function describeReason(reason: string): string {
  return splitCamelcase(reason).join(" ").toLowerCase();
}

const LOWER = /^\p{Ll}$/u;
const UPPER = /^\p{Lu}$/u;
const DIGIT = /^\p{Nd}$/u;

/**
 * Port of Flux's splitCamelcase: runs of lower, upper, digit and other characters, then the last
 * upper-case letter of a run moves to a following lower-case run (`PDFLoader` -> `PDF Loader`).
 * Ill-formed text (lone surrogates, Go's invalid UTF-8) is not split.
 */
export function splitCamelcase(src: string): string[] {
  if (!src.isWellFormed()) return [src];
  const runs: string[][] = [];
  let lastClass = 0;
  for (const ch of src) {
    const cls = LOWER.test(ch) ? 1 : UPPER.test(ch) ? 2 : DIGIT.test(ch) ? 3 : 4;
    if (cls === lastClass) runs[runs.length - 1].push(ch);
    else runs.push([ch]);
    lastClass = cls;
  }
  for (let i = 0; i < runs.length - 1; i++) {
    if (UPPER.test(runs[i][0]) && LOWER.test(runs[i + 1][0])) runs[i + 1].unshift(runs[i].pop()!);
  }
  return runs.filter((run) => run.length > 0).map((run) => run.join(""));
}

/** The `remember` entry that stands in for Flux's "list statuses, skip an identical one". */
export function rememberStatus(repository: string, sha: string, context: string, ...state: string[]): { key: string; state: string } {
  return { key: `${repository}@${sha}#${context}`, state: state.join("+") };
}
