import { encodeFluxEvent } from "../flux/event";
import { base64url, decodeUserinfo } from "./kit/http-auth";
import { AddressError, collectProblems, invalidUrl, problems, type SettingsProblem } from "./kit/validate";
import { checkSeed, nkeyFromSeed, type NkeyError } from "./nkeys";
import { FormatError, type Classification, type Notifier, type NotifyContext, type OutboundRequest, type ProviderSettings } from "./types";

/**
 * `nats`: a core NATS publish (not JetStream) of the event JSON to the subject `spec.channel`, as
 * Flux's internal/notifier/nats.go does with nats.go. The conversation runs over a TCP socket
 * (src/notifiers/nats-socket.ts); this module holds the pure parts: the servers of the address,
 * the authentication Flux picks from the Secret, and the protocol lines
 * (https://docs.nats.io/reference/reference-protocols/nats-protocol).
 */
export const nats: Notifier = {
  type: "nats",
  validate: validateNats,
  format: formatNats,
};

/** Flux's connection name (nats.Name), which the server shows in its connection listings. */
export const CONNECTION_NAME = "NATS Provider Publisher";
const DEFAULT_PORT = 4222;

/** One server of the address: `nats://` (TLS when the server asks for it) or `tls://` (TLS always). */
export interface NatsServer {
  hostname: string;
  port: number;
  tls: boolean;
  /** Credentials of the URL, which nats.go prefers to every option: `user:pass@`, or a token as `token@`. */
  userinfo?: { user: string; pass: string } | { token: string };
}

/** How the client proves who it is, in Flux's order: creds file, nkey seed, username + password. */
export type NatsAuth =
  | { kind: "creds"; jwt: string; seed: string }
  | { kind: "nkey"; seed: string }
  | { kind: "password"; user: string; pass: string }
  | { kind: "none" };

/** What the socket transport needs to publish one message. */
export interface NatsPublish {
  servers: NatsServer[];
  subject: string;
  auth: NatsAuth;
}

function validateNats(s: ProviderSettings): SettingsProblem[] {
  return [
    ...problems(
      s.address ? undefined : invalidUrl("no address: NATS server (address) cannot be empty; set spec.address or the Secret's address key to nats://host:4222"),
      s.channel ? undefined : "NATS subject (channel) cannot be empty: set spec.channel to the subject to publish to",
      /\s/.test(s.channel) ? "invalid NATS subject (spec.channel): a subject cannot contain whitespace" : undefined,
    ),
    ...collectProblems(
      () => s.address && natsServers(s.address),
      () => natsAuth(s),
    ),
  ];
}

function formatNats({ event, settings }: NotifyContext): OutboundRequest {
  const publish: NatsPublish = { servers: natsServers(settings.address), subject: settings.channel, auth: natsAuth(settings) };
  // Flux publishes json.Marshal(event): the generic webhook body.
  return { method: "POST", url: settings.address, headers: {}, body: encodeFluxEvent(event), nats: publish };
}

/**
 * The servers of the address as nats.Connect reads it: a comma-separated list, `nats://` added
 * when a URL has no scheme, port 4222 by default. WebSocket URLs are refused: the relay speaks
 * the TCP protocol only.
 */
export function natsServers(address: string): NatsServer[] {
  const servers = address.split(",").map((part) => part.trim()).filter(Boolean).map(natsServer);
  if (servers.length === 0) throw new AddressError("invalid address: no NATS server URL");
  return servers;
}

function natsServer(text: string): NatsServer {
  const withScheme = text.includes("://") ? text : `nats://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new AddressError("invalid address: a NATS server URL is not a URL (nats://host:4222)");
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "nats" && scheme !== "tls") throw new AddressError(`invalid address: scheme ${scheme} is not supported for NATS (use nats:// or tls://)`);
  if (!url.hostname) throw new AddressError("invalid address: a NATS server URL has no host");
  const port = url.port ? Number(url.port) : DEFAULT_PORT;
  const server: NatsServer = { hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"), port, tls: scheme === "tls" };
  // nats.go: a URL user without a password is a token.
  if (url.username || url.password) {
    const hasPassword = /^[^:]*:\/\/[^@/]*:[^@/]*@/.test(withScheme);
    server.userinfo = hasPassword ? { user: decodeUserinfo(url.username), pass: decodeUserinfo(url.password) } : { token: decodeUserinfo(url.username) };
  }
  return server;
}

/** The authentication Flux's NewNATS picks: `creds`, else `nkey`, else username and password (both set). */
export function natsAuth(settings: ProviderSettings): NatsAuth {
  const { creds, nkey } = settings.secret;
  if (creds) {
    const parsed = parseCreds(creds);
    checkSeedFor(parsed.seed, "the creds key");
    return { kind: "creds", ...parsed };
  }
  if (nkey) {
    checkSeedFor(nkey, "the nkey key");
    return { kind: "nkey", seed: nkey.trim() };
  }
  if (settings.username && settings.password) return { kind: "password", user: settings.username, pass: settings.password };
  return { kind: "none" };
}

function checkSeedFor(seed: string, where: string): void {
  try {
    checkSeed(seed);
  } catch (err) {
    throw new FormatError(`error parsing nkey seed in ${where} of the Secret: ${(err as NkeyError).message}`);
  }
}

// nats.go's credential-file reader: a block between dashed lines, the JWT first, then the seed.
const CREDS_BLOCK = /\s*(?:(?:-{3,}.*-{3,}\r?\n)([\w\-.=]+)(?:\r?\n-{3,}.*-{3,}(?:\r?\n|$)))/g;

/** The user JWT and nkey seed of a `.creds` file (nats.UserCredentialBytes). */
export function parseCreds(text: string): { jwt: string; seed: string } {
  const blocks = [...text.matchAll(CREDS_BLOCK)].map((m) => m[1]);
  if (blocks.length < 2) throw new FormatError("invalid creds in the Secret: expected a user JWT and an nkey seed block (a NATS .creds file)");
  return { jwt: blocks[0], seed: blocks[1] };
}

/** What the client reads from the server's INFO. */
export interface ServerInfo {
  tls_required?: boolean;
  tls_available?: boolean;
  nonce?: string;
  max_payload?: number;
  headers?: boolean;
  proto?: number;
}

/** Parses an `INFO {...}` line (without its CRLF). */
export function parseInfo(line: string): ServerInfo {
  if (!line.startsWith("INFO ")) throw new NatsProtocolError(`expected INFO from the server, got ${JSON.stringify(line.slice(0, 40))}`);
  try {
    const info: unknown = JSON.parse(line.slice(5));
    if (info && typeof info === "object" && !Array.isArray(info)) return info as ServerInfo;
  } catch {
    // reported below
  }
  throw new NatsProtocolError("the server's INFO is not a JSON object");
}

/** A violation of the NATS protocol by the server (or by what sits at the address instead). */
export class NatsProtocolError extends Error {
  override name = "NatsProtocolError";
}

/**
 * The CONNECT line, with nats.go's connectInfo fields in its order: credentials of the URL win
 * (as in nats.go's connectProto), the nonce is signed for a creds JWT or an nkey.
 */
export async function connectCommand(info: ServerInfo, server: NatsServer, auth: NatsAuth, secure: boolean): Promise<string> {
  const fields: Record<string, unknown> = { verbose: false, pedantic: false };
  const userinfo = server.userinfo;
  const signer = auth.kind === "creds" || auth.kind === "nkey" ? await nkeyFromSeed(auth.seed) : undefined;
  if (auth.kind === "creds") fields.jwt = auth.jwt;
  if (auth.kind === "nkey" && !userinfo) fields.nkey = signer!.publicKey;
  if (signer && (auth.kind === "creds" || !userinfo)) {
    fields.sig = base64url(await signer.sign(new TextEncoder().encode(info.nonce ?? "")));
  }
  if (userinfo && "token" in userinfo) fields.auth_token = userinfo.token;
  else if (userinfo) Object.assign(fields, nonEmpty({ user: userinfo.user, pass: userinfo.pass }));
  else if (auth.kind === "password") Object.assign(fields, { user: auth.user, pass: auth.pass });
  const headers = info.headers === true;
  Object.assign(fields, { tls_required: secure, name: CONNECTION_NAME, lang: "typescript", version: "flux-relay", protocol: 1, echo: true, headers, no_responders: headers });
  return `CONNECT ${JSON.stringify(fields)}\r\n`;
}

function nonEmpty(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v));
}

/** `PUB <subject> <bytes>` then the payload, each ended by CRLF, followed by the PING whose PONG confirms it. */
export function publishCommand(subject: string, payload: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(`PUB ${subject} ${payload.byteLength}\r\n`);
  const tail = new TextEncoder().encode("\r\nPING\r\n");
  const out = new Uint8Array(head.byteLength + payload.byteLength + tail.byteLength);
  out.set(head, 0);
  out.set(payload, head.byteLength);
  out.set(tail, head.byteLength + payload.byteLength);
  return out;
}

// Server errors that need a change of configuration; the others (too many connections, slow
// consumer, a server shutting down) may pass on a later attempt.
const PERMANENT_ERRORS = /authoriz|authenticat|permissions violation|maximum payload|invalid (publish )?subject|user .*(revoked|expired)|account .*expired/i;

/** How a `-ERR '...'` line from the server ends the attempt. */
export function classifyServerError(line: string): Classification {
  const message = line.replace(/^-ERR\s*/, "").trim().replace(/^'|'$/g, "");
  const reason = `NATS server error: ${message.slice(0, 200)}`;
  return PERMANENT_ERRORS.test(message) ? { outcome: "permanent", reason } : { outcome: "retry", reason };
}
