import { parseAllDocuments } from "yaml";
import { ALLOWED_HOSTS_KEY, secretBindingName, parseSecretValue } from "../src/config/secrets";
import { parseManifest, type ManifestKind } from "../src/flux/manifests";
import { RelayError } from "../src/lib/errors";

/**
 * The pure half of `npm run import`: reads multi-document Flux YAML and turns it into a plan of
 * KV writes and secret puts, validated with the Worker's own schemas. Applying the plan (wrangler,
 * .dev.vars) lives in import.mjs so this part runs anywhere, tests included.
 */

export interface Input {
  /** File name or `-` for standard input, for messages. */
  source: string;
  text: string;
}

export type PlanEntry =
  /** `secretBinding` and `address`: a Provider's secretRef and spec.address, for pinning its Secret's hosts. */
  | { kind: ManifestKind; key: string; value: string; origin: string; needs: string[]; note?: string; secretBinding?: string; address?: string }
  | { kind: "Secret"; binding: string; value: string; keys: string[]; origin: string; note?: string };

export interface PlanOptions {
  /**
   * Write `allowedHosts` into each Secret imported together with a Provider that uses it: the
   * hosts of the addresses seen (the Secret's own `address`, else the Providers' spec.address),
   * so that a later edit of the Provider cannot send the Secret's credentials elsewhere. Default on.
   */
  pinHosts?: boolean;
}

export interface Plan {
  entries: PlanEntry[];
  /** Every problem found, each `origin: field: message`; any problem means nothing is applied. */
  problems: string[];
  /** Documents of other kinds, ignored. */
  skipped: string[];
}

const KEY_PREFIX: Record<ManifestKind, string> = { Provider: "providers/", Alert: "alerts/" };

/** Builds the plan from every document of every input; never throws on bad input. */
export function planImport(inputs: Input[], defaultNamespace = "default", options: PlanOptions = {}): Plan {
  const plan: Plan = { entries: [], problems: [], skipped: [] };
  const seen = new Map<string, string>();
  for (const input of inputs) {
    const docs = parseAllDocuments(input.text);
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, i) => {
      const origin = `${input.source}#${i + 1}`;
      if (doc.errors.length > 0) {
        plan.problems.push(...doc.errors.map((e) => `${origin}: (document): not valid YAML: ${e.message.split("\n")[0]}`));
        return;
      }
      const value = doc.toJS() as unknown;
      if (value === null || value === undefined) return;
      const items = isList(value) ? value.items.map((item, j) => ({ item, origin: `${origin}.items[${j}]`, text: undefined })) : [{ item: value, origin, text: String(doc) }];
      for (const { item, origin: where, text } of items) addDocument(plan, seen, item, where, text ?? `${JSON.stringify(item, null, 2)}\n`, defaultNamespace);
    });
  }
  const secrets = new Set(plan.entries.filter((e) => e.kind === "Secret").map((e) => (e as { binding: string }).binding));
  for (const entry of plan.entries) {
    if (entry.kind === "Secret") continue;
    const missing = entry.needs.filter((b) => !secrets.has(b));
    if (missing.length > 0) entry.note = `needs secret ${missing.join(", ")} (not in this input: put it separately)`;
  }
  if (options.pinHosts ?? true) pinSecretHosts(plan);
  return plan;
}

/** Adds `allowedHosts` to the Secrets of the plan that Providers of the plan use (see PlanOptions). */
function pinSecretHosts(plan: Plan): void {
  for (const entry of plan.entries) {
    if (entry.kind !== "Secret") continue;
    const users = plan.entries.filter((e) => e.kind === "Provider" && e.secretBinding === entry.binding) as { address?: string }[];
    const values = JSON.parse(entry.value) as Record<string, string>;
    if (users.length === 0 || values[ALLOWED_HOSTS_KEY] !== undefined) continue;
    const addresses = values.address !== undefined ? [values.address] : users.map((u) => u.address ?? "");
    const hosts = new Set<string>();
    for (const address of addresses) {
      try {
        const host = new URL(address.trim()).hostname;
        if (host) hosts.add(host);
      } catch {
        // No address (the type's default endpoint) or not a URL: nothing to pin for this Provider.
      }
    }
    if (hosts.size === 0) continue;
    values[ALLOWED_HOSTS_KEY] = [...hosts].join(",");
    entry.value = JSON.stringify(values);
    entry.keys = Object.keys(values).sort();
    // The hosts themselves are not printed: they may come from the Secret's own address.
    entry.note = `${ALLOWED_HOSTS_KEY} written from the address its Providers use (${hosts.size} ${hosts.size === 1 ? "host" : "hosts"}; opt out with --no-allowed-hosts)`;
  }
}

function isList(value: unknown): value is { items: unknown[] } {
  const v = value as { kind?: unknown; items?: unknown };
  return typeof v === "object" && v !== null && typeof v.kind === "string" && v.kind.endsWith("List") && Array.isArray(v.items);
}

function addDocument(plan: Plan, seen: Map<string, string>, item: unknown, origin: string, text: string, defaultNamespace: string): void {
  const obj = (typeof item === "object" && item !== null ? item : {}) as { kind?: unknown; apiVersion?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  const kind = obj.kind;
  const name = typeof obj.metadata?.name === "string" ? obj.metadata.name : "";
  const namespace = typeof obj.metadata?.namespace === "string" && obj.metadata.namespace ? obj.metadata.namespace : defaultNamespace;
  const label = `${origin} ${String(kind ?? "(no kind)")} ${namespace}/${name || "(no name)"}`;
  const claim = (target: string): boolean => {
    const first = seen.get(target);
    if (first) {
      plan.problems.push(`${label}: ${target} is already set by ${first}`);
      return false;
    }
    seen.set(target, origin);
    return true;
  };
  if (kind === "Provider" || kind === "Alert") {
    let needs: string[] = [];
    let pin: { secretBinding?: string; address?: string } = {};
    try {
      const manifest = parseManifest(kind, item, { namespace, name });
      if (manifest.kind === "Provider") {
        const { secretRef, certSecretRef, proxySecretRef } = manifest.spec;
        needs = [secretRef, certSecretRef, proxySecretRef].filter((r) => r !== undefined).map((r) => secretBindingName(namespace, r.name));
        if (secretRef) pin = { secretBinding: secretBindingName(namespace, secretRef.name), address: manifest.spec.address };
      }
    } catch (err) {
      const details = err instanceof RelayError ? err.details : [String(err)];
      plan.problems.push(...details.map((d) => `${label}: ${d}`));
      return;
    }
    const key = `${KEY_PREFIX[kind]}${namespace}/${name}`;
    if (claim(key)) plan.entries.push({ kind, key, value: text, origin, needs, ...pin });
    return;
  }
  if (kind === "Secret") {
    const problems: string[] = [];
    if (obj.apiVersion !== "v1") problems.push(`apiVersion: must be v1 for a Secret`);
    if (!name) problems.push("metadata.name: required");
    const binding = secretBindingName(namespace, name || "_");
    let values: Record<string, string> = {};
    try {
      values = parseSecretValue(JSON.stringify(item), binding);
    } catch (err) {
      problems.push((err as Error).message);
    }
    if (problems.length > 0) {
      plan.problems.push(...problems.map((p) => `${label}: ${p}`));
      return;
    }
    // The decoded keys as one JSON object: the relay reads it as the Secret's stringData.
    if (claim(binding)) plan.entries.push({ kind: "Secret", binding, value: JSON.stringify(values), keys: Object.keys(values).sort(), origin });
    return;
  }
  plan.skipped.push(`${label}: not a Provider, Alert or Secret; ignored`);
}

/** The plan as printed before anything is applied. Secret values never appear, only their keys. */
export function describePlan(plan: Plan, target: string): string {
  const kv = plan.entries.filter((e) => e.kind !== "Secret");
  const secrets = plan.entries.filter((e) => e.kind === "Secret");
  const lines = [`Plan: ${kv.length} KV ${kv.length === 1 ? "write" : "writes"} and ${secrets.length} ${secrets.length === 1 ? "secret" : "secrets"} (${target})`];
  for (const e of plan.entries) {
    if (e.kind === "Secret") lines.push(`  secret  ${e.binding}  keys: ${e.keys.join(", ") || "(none)"}  [${e.origin}]${e.note ? `\n          ${e.note}` : ""}`);
    else lines.push(`  kv put  ${e.key}  [${e.origin}]${e.note ? `\n          ${e.note}` : ""}`);
  }
  for (const s of plan.skipped) lines.push(`  skip    ${s}`);
  if (plan.problems.length > 0) {
    lines.push(`Problems (${plan.problems.length}):`);
    for (const p of plan.problems) lines.push(`  ${p}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * One dotenv line wrangler reads back verbatim: single quotes are literal in dotenv, and a quote
 * or `$` inside the JSON becomes a JSON \u escape, so neither quoting nor variable expansion can
 * change the value.
 */
export function devVarsLine(binding: string, jsonValue: string): string {
  return `${binding}='${jsonValue.replace(/'/g, "\\u0027").replace(/\$/g, "\\u0024")}'`;
}

/** `.dev.vars` content with the given bindings set, other lines kept as they were. */
export function updateDevVars(existing: string, values: Map<string, string>): string {
  const pending = new Map(values);
  const lines = existing === "" ? [] : existing.replace(/\n$/, "").split("\n");
  const out = lines.map((line) => {
    const m = /^\s*(?:export\s+)?([\w.-]+)\s*=/.exec(line);
    if (!m || !pending.has(m[1])) return line;
    const next = devVarsLine(m[1], pending.get(m[1])!);
    pending.delete(m[1]);
    return next;
  });
  for (const [binding, value] of pending) out.push(devVarsLine(binding, value));
  return `${out.join("\n")}\n`;
}
