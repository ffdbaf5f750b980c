import { silencePrefill } from "../rules/silences";

/**
 * The status page's silence actions (docs/noise-control.md): a form that silences one failing
 * object, prefilled from its row, and an Expire button per active silence. Plain forms posting to
 * the routes `silenceActions` registers (src/routes/dashboard.tsx mounts them behind its session
 * and Origin checks), as every other action of the page.
 */

/** How long a silence made from a row lasts, as offered in the form (hours). */
const DURATIONS = [1, 2, 4, 8, 24, 72];

/** "Silence…" under a failing object's row: cluster, kind, namespace and name prefilled, editable. */
export function SilenceFormFor(props: { cluster: string | null; object: { kind: string; namespace: string; name: string } | undefined; now: number }) {
  if (!props.object) return null;
  const { matchers } = silencePrefill(props.cluster ?? "", props.object, props.now);
  return (
    <details class="silence-form">
      <summary>Silence…</summary>
      <form method="post" action="/dashboard/silences">
        {(["cluster", "kind", "namespace", "name"] as const).map((field) => (
          <label>{field} <input name={field} value={matchers[field] ?? ""} /></label>
        ))}
        <label>message (RE2, optional) <input name="message" value="" /></label>
        <label>for <select name="hours">{DURATIONS.map((h) => <option value={String(h)} selected={h === 2}>{`${h} h`}</option>)}</select></label>
        <label>comment <input name="comment" required value="" /></label>
        <button type="submit" data-action="silence">Silence</button>
      </form>
    </details>
  );
}

/**
 * The involved object of a history or dead-letter row, from its summary when the row carries no
 * event: `summarize` (src/delivery/provider-object.ts) writes `<kind>/<namespace>/<name> <severity>
 * <reason>`, and Kubernetes kinds, namespaces and names contain neither `/` nor spaces.
 */
export function objectOfSummary(summary: string): { kind: string; namespace: string; name: string } | undefined {
  const m = /^([^/\s]+)\/([^/\s]+)\/([^/\s]+) /.exec(summary);
  return m ? { kind: m[1], namespace: m[2], name: m[3] } : undefined;
}

/** Expires one active silence (it stays listed by the API, as expired, for 7 days). */
export function ExpireSilenceButton(props: { id: string }) {
  return (
    <form method="post" action={`/dashboard/silences/${encodeURIComponent(props.id)}/expire`} class="inline">
      <button type="submit" data-action="expire-silence" data-silence={props.id}>Expire</button>
    </form>
  );
}

/**
 * The body the silences API expects, from the form: empty matchers are left out, `hours` becomes
 * `endsAt`. What is wrong is then named by the API's own validation.
 */
export function silenceFromForm(form: Record<string, unknown>, now: number): unknown {
  const text = (key: string) => (typeof form[key] === "string" ? (form[key] as string).trim() : "");
  const matchers = Object.fromEntries(["cluster", "namespace", "kind", "name", "severity", "message"].map((k) => [k, text(k)]).filter(([, v]) => v !== ""));
  const hours = Number(text("hours"));
  return {
    matchers,
    endsAt: new Date(now + (Number.isFinite(hours) && hours > 0 ? hours : 2) * 3_600_000).toISOString(),
    comment: text("comment"),
    createdBy: "status page",
  };
}
