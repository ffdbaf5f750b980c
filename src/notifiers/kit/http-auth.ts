const encoder = new TextEncoder();

/** Standard padded base64 of bytes, or of a string's UTF-8 form. */
export function base64(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Unpadded base64url (RFC 4648 section 5): JWT parts, NATS nonce signatures. */
export function base64url(data: Uint8Array | string): string {
  return base64(data).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The `Authorization` value of HTTP Basic authentication, as Go's `SetBasicAuth` builds it. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${base64(`${username}:${password}`)}`;
}

/** `Bearer <token>`, or undefined when the Secret has no token. */
export function bearerAuth(token: string): string | undefined {
  return token ? `Bearer ${token}` : undefined;
}

/** Basic from the Secret's username and password; Flux uses them only when both are set. */
export function passwordAuth({ username, password }: { username: string; password: string }): string | undefined {
  return username && password ? basicAuth(username, password) : undefined;
}

/**
 * Splits credentials off an address the way Go's net/http treats them: userinfo never goes on the
 * wire, and becomes Basic authentication only when the notifier sets no `authorization` of its
 * own. Workers fetch refuses URLs with credentials, and the docs suggest `https://user:pass@host/...`
 * addresses (for Alertmanager), so the notifiers that take a URL apply this. Addresses without
 * userinfo are returned untouched, so they reach the destination byte for byte.
 */
export function splitUserinfo(address: string, authorization?: string): { url: string; authorization?: string } {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return { url: address, authorization };
  }
  if (!url.username && !url.password) return { url: address, authorization };
  const fromUserinfo = basicAuth(decodeUserinfo(url.username), decodeUserinfo(url.password));
  url.username = "";
  url.password = "";
  return { url: url.href, authorization: authorization ?? fromUserinfo };
}

/** A percent-encoded userinfo component, or the text as written when an escape is malformed. */
export function decodeUserinfo(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}

/** The Secret's token, falling back to its `password` key as Flux's git and OTLP notifiers do. */
export function tokenOrPassword(settings: { token: string; password: string }): string {
  return settings.token || settings.password;
}

/**
 * A request as Go's net/http sends one whose URL carries `user:password@`: the credentials leave
 * the URL, and become Basic authentication unless the request has an `Authorization` header of
 * its own. Every type gets this, whatever its notifier builds. `credentials` are the decoded
 * values, to redact from messages.
 */
export function withUserinfoAuth<R extends { url: string; headers: Record<string, string> }>(req: R): { request: R; credentials: string[] } {
  const own = Object.keys(req.headers).find((name) => name.toLowerCase() === "authorization");
  const { url, authorization } = splitUserinfo(req.url, own === undefined ? undefined : req.headers[own]);
  if (url === req.url) return { request: req, credentials: [] };
  const parsed = new URL(req.url);
  const credentials = [decodeUserinfo(parsed.username), decodeUserinfo(parsed.password)].filter((c) => c.length >= 4);
  const headers = own === undefined && authorization ? { ...req.headers, Authorization: authorization } : req.headers;
  return { request: { ...req, url, headers }, credentials };
}
