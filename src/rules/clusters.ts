import type { AlertManifest } from "../flux/manifests";
import type { AlertProblem } from "../flux/match";

/**
 * Cluster selection, a relay extension: an Alert with this annotation takes events only from the
 * clusters it lists (comma-separated names or globs such as `prod-*`, `*-eu-*`); without it, from
 * every cluster. Flux ignores annotations it does not know, so the Alert stays a valid Flux manifest.
 */
export const CLUSTERS_ANNOTATION = "flux-relay.fluxcd.io/clusters";

/** A cluster name as the hook path allows it, plus the glob characters `*` (any run) and `?` (one). */
const ENTRY = /^[a-z0-9*?-]{1,63}$/;

type Selector = { kind: "any" } | { kind: "some"; names: Set<string>; globs: RegExp[] } | { kind: "invalid"; message: string };

// Alerts come from the isolate's cached config snapshot, so each manifest object is parsed once.
const parsed = new WeakMap<AlertManifest, Selector>();

function selector(alert: AlertManifest): Selector {
  let s = parsed.get(alert);
  if (!s) {
    s = parse(alert.metadata.annotations?.[CLUSTERS_ANNOTATION]);
    parsed.set(alert, s);
  }
  return s;
}

function parse(value: string | undefined): Selector {
  if (value === undefined) return { kind: "any" };
  const entries = value.split(",").map((e) => e.trim());
  const bad = entries.filter((e) => !ENTRY.test(e));
  if (bad.length > 0) {
    const shown = bad.map((e) => JSON.stringify(e)).join(", ");
    return { kind: "invalid", message: `${shown} is not a cluster name or glob ([a-z0-9-] with * and ?, comma-separated)` };
  }
  const names = new Set(entries.filter((e) => !/[*?]/.test(e)));
  const globs = entries.filter((e) => /[*?]/.test(e)).map((e) => new RegExp(`^${e.replaceAll("*", "[a-z0-9-]*").replaceAll("?", "[a-z0-9-]")}$`));
  return { kind: "some", names, globs };
}

/** Whether the Alert takes events of `cluster`. An invalid selector selects nothing. */
export function selectsCluster(alert: AlertManifest, cluster: string): boolean {
  const s = selector(alert);
  if (s.kind === "any") return true;
  if (s.kind === "invalid") return false;
  return s.names.has(cluster) || s.globs.some((g) => g.test(cluster));
}

/** The Alert's selector problem for its status (Ready=False, reason InvalidClusterSelector), if any. */
export function clusterSelectorProblems(alert: AlertManifest): AlertProblem[] {
  const s = selector(alert);
  if (s.kind !== "invalid") return [];
  return [{ reason: "InvalidClusterSelector", message: `the Alert matches no event: ${s.message}`, field: `metadata.annotations.${CLUSTERS_ANNOTATION}` }];
}
