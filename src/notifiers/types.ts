import type { FluxEvent } from "../flux/event";
import type { AlertManifest, ProviderManifest, ProviderType } from "../flux/manifests";
import type { GitHubAppAuth } from "./git/github-app";
import type { NatsPublish } from "./nats";
import type { SettingsProblem } from "./kit/validate";

/**
 * A Provider with its Secret resolved, as Flux's notifier factory sees it (see src/notifiers/factory.ts):
 * Secret `address` already overrides `spec.address`, `token`/`username`/`password` applied.
 */
export interface ProviderSettings {
  type: ProviderType;
  namespace: string;
  name: string;
  /** metadata.uid of the Provider manifest, empty when the manifest has none. */
  uid: string;
  address: string;
  channel: string;
  username: string;
  password: string;
  token: string;
  /** Secret `headers` (a YAML map), used by generic, generic-hmac and otel. */
  headers: Record<string, string>;
  proxy: string;
  timeoutMs: number;
  /** Every key of the secretRef Secret, for type-specific keys (GitHub App, NATS creds, ...). */
  secret: Record<string, string>;
  /** The validated manifest, exposed to `spec.commitStatusExpr` as `provider`. */
  manifest: ProviderManifest;
}

/** One HTTP request a notifier wants sent. `body` is sent byte for byte. */
export interface OutboundRequest {
  method: "POST" | "PUT" | "PATCH" | "GET";
  url: string;
  headers: Record<string, string>;
  body: string;
  /**
   * Skip the request when the last delivered request with the same `key` carried the same
   * `state` (commit statuses: repository + commit + context -> state + description).
   */
  remember?: { key: string; state: string };
  /** Bytes of the answer to read back (default 64 KiB); exchanges that parse a listing ask for more. */
  readLimit?: number;
  /**
   * A NATS publish instead of HTTP: the transport speaks the NATS protocol over a TCP socket to
   * these servers and publishes `body` (the `nats` type; `url` is then the address for messages).
   */
  nats?: NatsPublish;
  /** GitHub App authentication: the transport adds `Authorization` with the App's JWT or an installation token. */
  gitHubApp?: GitHubAppAuth;
}

/** Everything a formatter may read. Formatters are pure apart from WebCrypto. */
export interface NotifyContext {
  /** The transformed event (Flux's metadata pipeline applied, un-prefixed keys). */
  event: FluxEvent;
  settings: ProviderSettings;
  /** The Alert that routed the event (absent for operator test sends). */
  alert?: AlertManifest;
  /** Cluster name from the hook path, when the event came through `/hook/:cluster`. */
  cluster?: string;
  /** Milliseconds since the epoch; injectable for deterministic vectors. */
  now: number;
  /** The Slack thread this notice replies in (`flux-relay.fluxcd.io/slack-thread`, docs/noise-control.md). */
  thread?: SlackThreadReply;
  /**
   * Text rendered from the Alert's message templates (src/rules/message-template.ts), absent
   * without them. `event.message` already holds `message`; the title and body go where the type
   * has a title line or a whole-body template.
   */
  rendered?: RenderedText;
}

/** A reply in the thread of an earlier chat.postMessage (its `ts`), broadcast to the channel or not. */
export interface SlackThreadReply {
  ts: string;
  broadcast: boolean;
}

/** What an Alert's templates rendered for one event; each field only when its template is set. */
export interface RenderedText {
  message?: string;
  title?: string;
  /** JSON text of the body template (generic, generic-hmac). */
  body?: string;
}

/** A formatter's decision not to send anything for this event (e.g. `Progressing` for git types). */
export interface Skip {
  skip: string;
}

export type FormatResult = OutboundRequest | Skip;

/** What the transport read back from the destination. */
export interface ResponseSnapshot {
  status: number;
  headers: Headers;
  /** At most the first 64 KiB of the body, decoded as UTF-8. */
  body: string;
  /** The URL the request went to (without credentials), for classifiers that read answers by endpoint. */
  url?: string;
}

/** How one attempt ended, decided by the shared classifier plus the notifier's own signals. */
export type Classification =
  | { outcome: "delivered" }
  | { outcome: "retry"; reason: string; retryAfterMs?: number }
  | { outcome: "permanent"; reason: string };

/** What `send` reports to an exchange about one request. */
export interface StepOutcome {
  classification: Classification;
  /** The answer as read back; absent when none came (connection error, timeout). */
  response?: ResponseSnapshot;
}

/**
 * Sends one request of an exchange with the provider timeout, the notifier's classification and
 * redacted reasons, as a single-request delivery would be sent.
 */
export type Send = (req: OutboundRequest) => Promise<StepOutcome>;

/** One module per Provider type implements this; src/notifiers/registry.ts lists them. */
export interface Notifier {
  readonly type: ProviderType;
  /**
   * Problems that make the provider unusable (missing token, invalid address, ...), each a
   * full sentence naming the setting. Empty when the settings are usable. Pure.
   */
  validate(settings: ProviderSettings): SettingsProblem[];
  /** The request for one event, or a Skip. Throws a FormatError when the event cannot be sent. */
  format(ctx: NotifyContext): FormatResult | Promise<FormatResult>;
  /**
   * For types that hold a conversation per event (find the relay's PR comment, then edit it or
   * create one; PagerDuty's follow-up change event): runs it through `send` and says how it
   * ended. When present it replaces format + send, and format stays the pure builder of the
   * request the vectors show (the first-time comment, the trigger or resolve). The whole exchange
   * is one attempt, retried as a unit, so every step must be safe to repeat. Throws a FormatError
   * as format does.
   */
  exchange?(ctx: NotifyContext, send: Send): Promise<Classification | Skip>;
  /** Provider-specific reading of a response; undefined falls back to `classifyResponse`. */
  classify?(res: ResponseSnapshot): Classification | undefined;
  /** Minimum milliseconds between two deliveries, to stay under the destination's published limit. */
  paceMs?(settings: ProviderSettings): number;
}

/** A notifier that holds a conversation per event (see Notifier.exchange). */
export type ExchangeNotifier = Notifier & Required<Pick<Notifier, "exchange">>;

export function hasExchange(notifier: Notifier): notifier is ExchangeNotifier {
  return notifier.exchange !== undefined;
}

/** An event that this provider can never send (bad revision, CEL failure): dead-lettered at once. */
export class FormatError extends Error {
  override name = "FormatError";
}

export function isSkip<T extends object>(result: T | Skip): result is Skip {
  return "skip" in result;
}
