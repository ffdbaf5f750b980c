import { parseBoundedYaml } from "../lib/bounded-yaml";

/**
 * Secret key pinning the Secret's credentials to hosts: comma-separated host names or
 * `*.example.com` globs. A Provider whose address host is not listed is Ready=False
 * (SecretHostMismatch) and sends nothing, so whoever can edit a Provider cannot redirect another
 * Secret's token to a host of their choosing (docs/operations.md, Security).
 */
export const ALLOWED_HOSTS_KEY = "allowedHosts";

/**
 * Whether `host` is one of the comma-separated names or globs: `*.example.com` matches any name
 * below example.com (not example.com itself). Case-insensitive, a trailing dot ignored.
 */
export function hostAllowed(host: string, allowedHosts: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "").replace(/^\[|\]$/g, "");
  return allowedHosts.split(",").map((p) => p.trim().toLowerCase().replace(/\.$/, "").replace(/^\[|\]$/g, "")).some((pattern) => {
    if (!pattern) return false;
    if (pattern.startsWith("*.")) return name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1;
    return name === pattern;
  });
}

/** Secret binding name for a Secret: `flux-system/slack-token` -> `SECRET__FLUX_SYSTEM__SLACK_TOKEN`. */
export function secretBindingName(namespace: string, name: string): string {
  const part = (s: string) => s.toUpperCase().replace(/[-.]/g, "_");
  return `SECRET__${part(namespace)}__${part(name)}`;
}

/** A binding exists but cannot be read as a Secret. The message never contains the value. */
export class SecretFormatError extends Error {
  override name = "SecretFormatError";
}

/**
 * Reads a Secret from its Worker secret binding. The value is either a JSON object of strings
 * (the Secret's stringData) or a whole Kubernetes Secret manifest in YAML or JSON, whose `data`
 * is base64-decoded and overridden by `stringData`, so that
 * `kubectl get secret x -o yaml | wrangler secret put SECRET__NS__X` works.
 * Returns undefined when no such binding exists.
 */
export function readSecret(env: object, namespace: string, name: string): Record<string, string> | undefined {
  const binding = secretBindingName(namespace, name);
  const value = (env as Record<string, unknown>)[binding];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new SecretFormatError(`binding ${binding} is not a secret text`);
  return parseSecretValue(value, binding);
}

export function parseSecretValue(value: string, binding: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = parseBoundedYaml(value);
  } catch {
    throw new SecretFormatError(`binding ${binding} is neither a JSON object nor a Secret manifest (YAML/JSON parse failed)`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    throw new SecretFormatError(`binding ${binding} must hold a JSON object of strings or a Kubernetes Secret manifest`);
  }
  const obj = doc as Record<string, unknown>;
  if (obj.kind === "Secret") {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(stringMap(obj.data, binding, "data"))) out[k] = decodeBase64(v, binding, k);
    Object.assign(out, stringMap(obj.stringData, binding, "stringData"));
    return out;
  }
  return stringMap(obj, binding, "(object)");
}

function stringMap(value: unknown, binding: string, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new SecretFormatError(`binding ${binding}: ${field} must be a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new SecretFormatError(`binding ${binding}: key ${k} in ${field} must be a string`);
    out[k] = v;
  }
  return out;
}

function decodeBase64(value: string, binding: string, key: string): string {
  try {
    const bytes = Uint8Array.from(atob(value.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  } catch {
    throw new SecretFormatError(`binding ${binding}: data.${key} is not valid base64`);
  }
}
