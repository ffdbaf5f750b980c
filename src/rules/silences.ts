import * as z from "../lib/zod";
import type { FluxEvent } from "../flux/event";
import { compile, isInvalid, matches } from "../flux/regex";
import type { SilenceHit } from "./noise";

/**
 * Silences, modelled on Alertmanager's (prometheus/alertmanager silence/silence.go): matchers plus
 * `startsAt`/`endsAt`, `createdBy` and a `comment`; the state (pending, active, expired) follows
 * from the clock, and expiring a silence sets its `endsAt` rather than deleting it.
 *
 * Stored in the CONFIG KV namespace as `silences/<id>` and read with the configuration snapshot
 * (src/config/store.ts), so matching an event costs the ingress no I/O and no Durable Object: a
 * single global object holding silences would sit on every cluster's ingress path. Each key is
 * written with a KV expiration of `endsAt` + 7 days, so an expired silence stays listed for a week
 * and KV itself removes it afterwards; no garbage collection runs in the relay. KV is eventually
 * consistent: a new silence applies at once in the isolate that wrote it (the snapshot is
 * invalidated) and within CONFIG_TTL_SECONDS plus KV's propagation (up to 60 s) everywhere else.
 */

/** KV key prefix of silences. */
export const SILENCE_PREFIX = "silences/";
/** Expired silences stay listed this long, then KV deletes them. */
export const EXPIRED_RETENTION_MS = 7 * 24 * 3_600_000;
/** The longest a silence may run: a longer mute is a config change (an exclusionList), not a silence. */
export const MAX_SILENCE_MS = 30 * 24 * 3_600_000;
/** Silences that are not expired, per relay: each is checked against every routed event. */
export const MAX_LIVE_SILENCES = 1000;

/** Fields a silence may match; every one but `message` is a glob (`*` = any run of characters). */
export const GLOB_MATCHERS = ["cluster", "namespace", "kind", "name", "severity"] as const;
export type SilenceMatchers = Partial<Record<(typeof GLOB_MATCHERS)[number] | "message", string>>;

export type SilenceState = "pending" | "active" | "expired";

/** A silence as stored and as the API shows it (times RFC 3339). */
export interface Silence {
  id: string;
  matchers: SilenceMatchers;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  createdAt: string;
  updatedAt: string;
}

export interface SilenceView extends Silence {
  status: { state: SilenceState };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const time = z.string().check(z.regex(RFC3339, "must be an RFC 3339 time such as 2026-12-03T20:00:00Z"));
const glob = z.string().check(z.minLength(1, "must not be empty"), z.maxLength(253));

const matchersSchema = z.strictObject({
  ...Object.fromEntries(GLOB_MATCHERS.map((m) => [m, z.optional(glob)])) as Record<(typeof GLOB_MATCHERS)[number], z.ZodMiniOptional<typeof glob>>,
  message: z.optional(z.string().check(z.minLength(1, "must not be empty"), z.maxLength(1024))).check((ctx) => {
    const compiled = ctx.value === undefined ? undefined : compile(ctx.value);
    if (compiled && isInvalid(compiled)) ctx.issues.push({ code: "custom", input: ctx.value, message: `not a valid RE2 expression: ${compiled.error}` });
  }),
}).check(z.refine((m) => Object.values(m).some((v) => v !== undefined), "at least one matcher is required (cluster, namespace, kind, name, severity, message)"));

/** The body of `POST /api/v1/silences`. */
export const silenceInputSchema = z.strictObject({
  matchers: matchersSchema,
  startsAt: z.optional(time),
  endsAt: time,
  comment: z.string().check(z.trim(), z.minLength(1, "is required: say why the notifications are silenced"), z.maxLength(1024)),
  createdBy: z.optional(z.string().check(z.maxLength(253))),
});
export type SilenceInput = z.infer<typeof silenceInputSchema>;

/** A silence as the API answers it (the OpenAPI document is generated from this). */
export const silenceViewSchema = z.object({
  id: z.string(),
  matchers: z.object(Object.fromEntries([...GLOB_MATCHERS, "message"].map((m) => [m, z.optional(z.string())]))),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  status: z.object({ state: z.enum(["pending", "active", "expired"]) }),
});

const iso = (ms: number) => new Date(ms).toISOString();

/** Problems of a parsed input that depend on the clock, each prefixed with its field. */
export function silenceTimeProblems(input: SilenceInput, now: number): string[] {
  const starts = input.startsAt ? Date.parse(input.startsAt) : now;
  const ends = Date.parse(input.endsAt);
  const problems: string[] = [];
  if (ends <= now) problems.push(`endsAt: must be in the future (now is ${iso(now)})`);
  else if (ends <= starts) problems.push("endsAt: must be after startsAt");
  if (ends - now > MAX_SILENCE_MS) problems.push(`endsAt: must be at most 30 days from now (${iso(now + MAX_SILENCE_MS)})`);
  return problems;
}

/** A new silence from validated input; a `startsAt` in the past starts it now, as Alertmanager does. */
export function newSilence(input: SilenceInput, id: string, now: number): Silence {
  const starts = Math.max(input.startsAt ? Date.parse(input.startsAt) : now, now);
  return {
    id,
    matchers: Object.fromEntries(Object.entries(input.matchers).filter(([, v]) => v !== undefined)),
    startsAt: iso(starts),
    endsAt: iso(Date.parse(input.endsAt)),
    createdBy: input.createdBy ?? "",
    comment: input.comment,
    createdAt: iso(now),
    updatedAt: iso(now),
  };
}

/** Expires a silence now: a pending one never starts, an active one ends; an expired one is unchanged. */
export function expireSilence(silence: Silence, now: number): Silence {
  if (silenceState(silence, now) === "expired") return silence;
  const at = iso(now);
  return { ...silence, startsAt: silenceState(silence, now) === "pending" ? at : silence.startsAt, endsAt: at, updatedAt: at };
}

/** Alertmanager's states: active while startsAt <= now < endsAt. */
export function silenceState(silence: Silence, now: number): SilenceState {
  if (now >= Date.parse(silence.endsAt)) return "expired";
  if (now < Date.parse(silence.startsAt)) return "pending";
  return "active";
}

/** KV expiration (seconds since the epoch) of a stored silence: a week after it ends. */
export function silenceExpiration(silence: Silence): number {
  return Math.ceil((Date.parse(silence.endsAt) + EXPIRED_RETENTION_MS) / 1000);
}

/** Reads one stored value; a value that is not a silence (hand-written into KV) is skipped. */
export function parseStoredSilence(value: string | null): Silence | undefined {
  if (value === null) return undefined;
  try {
    const s = JSON.parse(value) as Silence;
    return typeof s.id === "string" && typeof s.endsAt === "string" && typeof s.startsAt === "string" && typeof s.matchers === "object" ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `*` matches any run of characters (none included), everything else itself. Iterative with one
 * backtrack point, so a pattern of many stars stays linear-ish rather than exponential.
 */
export function globMatches(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] !== "*" && pattern[p] === value[v]) {
      p++;
      v++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = v;
    } else if (star >= 0) {
      p = star + 1;
      v = ++mark;
    } else return false;
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}

/** Whether every matcher of the silence matches the event sent by `cluster`. */
export function silenceMatches(silence: Silence, cluster: string, event: FluxEvent): boolean {
  const m = silence.matchers;
  const o = event.involvedObject;
  const fields = { cluster, namespace: o.namespace, kind: o.kind, name: o.name, severity: event.severity };
  for (const key of GLOB_MATCHERS) {
    const pattern = m[key];
    if (pattern !== undefined && !globMatches(pattern, fields[key])) return false;
  }
  if (m.message !== undefined) {
    const compiled = compile(m.message);
    if (isInvalid(compiled) || !matches(compiled, event.message)) return false;
  }
  return true;
}

/** The active silence that mutes the event, if any (the one ending last, so the reason names the longest mute). */
export function matchingSilence(silences: readonly Silence[], cluster: string, event: FluxEvent, now: number): SilenceHit | undefined {
  let best: Silence | undefined;
  for (const s of silences) {
    if (silenceState(s, now) !== "active" || !silenceMatches(s, cluster, event)) continue;
    if (!best || s.endsAt > best.endsAt) best = s;
  }
  return best && { id: best.id, comment: best.comment };
}

/** Silences with their state, active first, then pending, then expired; newest end first within each. */
export function silenceViews(silences: readonly Silence[], now: number): SilenceView[] {
  const order: Record<SilenceState, number> = { active: 0, pending: 1, expired: 2 };
  return silences
    .map((s) => ({ ...s, status: { state: silenceState(s, now) } }))
    .sort((a, b) => order[a.status.state] - order[b.status.state] || (a.endsAt < b.endsAt ? 1 : a.endsAt > b.endsAt ? -1 : 0));
}

/**
 * What the status page prefills when an operator silences a failing object from its row: the
 * object's cluster, kind, namespace and name, two hours from now, and the comment left to them.
 */
export function silencePrefill(cluster: string, object: { kind: string; namespace: string; name: string }, now: number): { matchers: SilenceMatchers; endsAt: string } {
  return { matchers: { cluster, kind: object.kind, namespace: object.namespace, name: object.name }, endsAt: iso(now + 2 * 3_600_000) };
}
