import { COMMIT_STATUS_TYPES, durationMs, MIN_INTERVAL_ANNOTATION, type ProviderManifest } from "../flux/manifests";
import { notifierFor } from "./registry";
import type { ProviderSettings } from "./types";
import { ALLOWED_HOSTS_KEY, hostAllowed, readSecret, secretBindingName, SecretFormatError } from "../config/secrets";
import { parseBoundedYaml, YamlProblem } from "../lib/bounded-yaml";
import { redact } from "../lib/redact";

/** Why a Provider is not usable, in the vocabulary of Flux's v1beta2 status conditions. */
export interface ProviderProblem {
  /** Ready=False reason. */
  reason: "InvalidURL" | "ValidationFailed" | "SecretNotFound" | "SecretHostMismatch" | "Unsupported" | "UnsupportedType";
  message: string;
  /** Stalled: nothing changes until the spec changes (InvalidURL, Unsupported). */
  stalled: boolean;
}

export interface ResolvedProvider {
  /** Present when the provider can format requests (problems may still exist, e.g. a proxy). */
  settings?: ProviderSettings;
  problems: ProviderProblem[];
  /** Every secret value involved, for redaction of logs, errors and status. */
  secrets: string[];
  /** Least milliseconds between two deliveries: the min-interval annotation, else the type's pace. */
  paceMs?: number;
}

const MAX_ADDRESS = 2048;

/**
 * Resolves a Provider manifest and its Secrets into notifier settings as Flux's factory does
 * (https://github.com/fluxcd/notification-controller/blob/main/internal/notifier/factory.go):
 * Secret `address` overrides spec.address, `token`, `username` + `password` (only as a pair),
 * `headers` YAML map, `proxy`; the relay's own `allowedHosts` pins the Secret to the hosts its
 * credentials may be sent to. Problems are collected, never thrown, and their messages are
 * redacted against every secret involved (they reach status, history, dead letters and logs).
 */
export function resolveProvider(manifest: ProviderManifest, env: object): ResolvedProvider {
  const resolved = resolveUnredacted(manifest, env);
  for (const problem of resolved.problems) problem.message = redact(problem.message, resolved.secrets);
  return resolved;
}

function resolveUnredacted(manifest: ProviderManifest, env: object): ResolvedProvider {
  const { spec, metadata } = manifest;
  const problems: ProviderProblem[] = [];
  const secrets: string[] = [];
  let secret: Record<string, string> = {};
  if (spec.secretRef) {
    try {
      const found = readSecret(env, metadata.namespace, spec.secretRef.name);
      if (found) secret = found;
      else problems.push(secretMissing(metadata.namespace, spec.secretRef.name, "spec.secretRef"));
    } catch (err) {
      problems.push({ reason: "ValidationFailed", message: (err as SecretFormatError).message, stalled: false });
    }
  }
  for (const [key, value] of Object.entries(secret)) if (key !== "headers" && key !== ALLOWED_HOSTS_KEY && value.length >= 4) secrets.push(value);

  const address = secret.address !== undefined ? secret.address.trim() : (spec.address ?? "");
  if (address.length > MAX_ADDRESS) problems.push({ reason: "ValidationFailed", message: `address is longer than ${MAX_ADDRESS} bytes`, stalled: true });
  secrets.push(...userinfoOf(address));
  const allowedHosts = secret[ALLOWED_HOSTS_KEY];
  if (allowedHosts !== undefined && address) {
    const mismatch = hostMismatch(address, allowedHosts);
    if (mismatch) problems.push({ reason: "SecretHostMismatch", message: mismatch, stalled: true });
  }

  // Flux's shared parser applies token and basic auth only when the Secret's auth data is well formed.
  const hasUser = secret.username !== undefined;
  const hasPassword = secret.password !== undefined;
  const authMalformed = hasUser !== hasPassword;
  if (authMalformed) {
    problems.push({
      reason: "ValidationFailed",
      message: "the Secret has a username without a password (or the reverse): Flux then ignores its token, username and password",
      stalled: false,
    });
  }
  let headers: Record<string, string> = {};
  if (secret.headers !== undefined) {
    try {
      headers = parseHeaders(secret.headers);
      // A credential header is `<scheme> <credential>`: a destination may echo the credential alone.
      for (const v of Object.values(headers)) {
        for (const form of [v, v.trim().split(/\s+/).slice(1).join(" ")]) if (form.length >= 4) secrets.push(form);
      }
    } catch (err) {
      // Only the position: a YAML error quotes the source lines, and these hold the header tokens.
      const why = err instanceof YamlProblem || err instanceof HeadersShapeError ? err.message : "unreadable";
      problems.push({ reason: "ValidationFailed", message: `failed to read headers from the Secret: ${why}`, stalled: false });
    }
  }

  const proxy = secret.proxy?.trim() || spec.proxy || "";
  if (proxy || spec.proxySecretRef) {
    problems.push({ reason: "Unsupported", message: "an HTTP proxy cannot be used by Workers fetch: events for this provider are dead-lettered", stalled: true });
  }
  // Flux uses a ca.crt, and a client certificate as tls.crt + tls.key, in the auth Secret of git
  // commit-status types when there is no certSecretRef.
  if (!spec.certSecretRef && COMMIT_STATUS_TYPES.includes(spec.type)) {
    if (secret["ca.crt"] !== undefined || secret.caFile !== undefined) {
      problems.push({ reason: "Unsupported", message: "a custom CA (ca.crt in the Secret) cannot be used by Workers fetch: events for this provider are dead-lettered", stalled: true });
    }
    if (secret["tls.crt"] !== undefined || secret["tls.key"] !== undefined) {
      problems.push({ reason: "Unsupported", message: "a client certificate (tls.crt and tls.key in the Secret, mTLS) cannot be used by Workers fetch: events for this provider are dead-lettered", stalled: true });
    }
  }
  // Flux refuses a Provider with serviceAccountName unless its ObjectLevelWorkloadIdentity feature
  // gate is on (internal/server/event_handlers.go); the relay has no Kubernetes service accounts to
  // impersonate. azureeventhub reports it itself, next to its other authentication settings.
  if (spec.serviceAccountName && spec.type !== "azureeventhub") {
    problems.push({
      reason: "Unsupported",
      message: "spec.serviceAccountName (object-level workload identity) is not available to the relay: remove it and put the credentials in the Secret referenced by spec.secretRef",
      stalled: true,
    });
  }
  if (spec.certSecretRef) {
    problems.push({ reason: "Unsupported", message: "a custom CA or client certificate (spec.certSecretRef) cannot be used by Workers fetch: events for this provider are dead-lettered", stalled: true });
  }

  const settings: ProviderSettings = {
    type: spec.type,
    namespace: metadata.namespace,
    name: metadata.name,
    uid: metadata.uid ?? "",
    address,
    channel: spec.channel ?? "",
    username: !authMalformed && hasUser ? secret.username : (spec.username ?? ""),
    password: !authMalformed && hasPassword ? secret.password : "",
    token: authMalformed ? "" : (secret.token ?? ""),
    headers,
    proxy,
    timeoutMs: spec.timeout ? durationMs(spec.timeout) : 15_000,
    secret,
    manifest,
  };
  if (address && secret.address !== undefined) secrets.push(address);

  const notifier = notifierFor(spec.type);
  if (!notifier) {
    problems.push({ reason: "UnsupportedType", message: `provider type ${spec.type} is not implemented by this relay`, stalled: true });
    return { problems, secrets };
  }
  for (const problem of notifier.validate(settings)) problems.push({ ...problem, stalled: problem.reason === "InvalidURL" });
  const minInterval = metadata.annotations?.[MIN_INTERVAL_ANNOTATION];
  const paceMs = minInterval !== undefined ? durationMs(minInterval) : (notifier.paceMs?.(settings) ?? 0);
  return { settings, problems, secrets, paceMs };
}

function secretMissing(namespace: string, name: string, field: string): ProviderProblem {
  return {
    reason: "SecretNotFound",
    message: `failed to read secret ${namespace}/${name} (${field}): no Worker secret binding ${secretBindingName(namespace, name)}`,
    stalled: false,
  };
}

class HeadersShapeError extends Error {}

function parseHeaders(text: string): Record<string, string> {
  const doc = parseBoundedYaml(text);
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new HeadersShapeError("headers must be a YAML map of header names to values");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc)) {
    // Flux decodes the map into map[string]string: a number, boolean, list or map value fails the
    // whole Provider there, so it does here rather than being sent converted. A null is Go's "".
    if (v !== null && typeof v !== "string") throw new HeadersShapeError(`the value of header ${k} is a ${Array.isArray(v) ? "list" : typeof v}, not a string: quote it in the YAML`);
    out[k] = v ?? "";
  }
  return out;
}

/** The user and password of an address's userinfo, raw and decoded, for redaction. */
function userinfoOf(address: string): string[] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@]*)@/i.exec(address);
  if (!m) return [];
  const out = new Set<string>();
  for (const part of [m[1], ...m[1].split(":")]) {
    out.add(part);
    try {
      out.add(decodeURIComponent(part));
    } catch {
      // A malformed escape: the raw form is masked already.
    }
  }
  return [...out].filter((v) => v.length >= 4);
}

/** Why the address's host is not one the Secret allows, or undefined when it is. */
function hostMismatch(address: string, allowedHosts: string): string | undefined {
  let host: string;
  try {
    host = new URL(address).hostname;
  } catch {
    return `the Secret allows its credentials only for ${ALLOWED_HOSTS_KEY} ${JSON.stringify(allowedHosts)}, and the address is not a URL with a host: nothing is sent`;
  }
  if (hostAllowed(host, allowedHosts)) return undefined;
  return `the address host ${JSON.stringify(host)} is not in the Secret's ${ALLOWED_HOSTS_KEY} (${JSON.stringify(allowedHosts)}): its credentials are never sent there`;
}
