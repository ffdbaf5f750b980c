/**
 * One routed delivery as the sending cluster's ClusterObject forwards it to a provider's outbox.
 * The row names its Alert instead of embedding the manifest, so an outbox row stays a few KiB
 * whatever the Alert holds; the provider loads the Alert by name when it delivers.
 */
export interface ForwardedDelivery {
  /** Idempotency key `<cluster>/<intake sequence>/<alert namespace>/<alert name>`: stored once per provider. */
  id: string;
  cluster: string;
  alert: { namespace: string; name: string };
  /**
   * The event as JSON, its metadata already combined for this Alert (`cluster` set, `transition`
   * when noise control added one): stored as it comes, so forwarding never parses and re-encodes it.
   */
  event: string;
  /** When the cluster's intake log stored the event (ms since the epoch). */
  receivedAt: number;
  /** Decided at intake by noise control or a silence: recorded in history and counted, never sent. */
  decision?: { outcome: "suppressed" | "silenced"; reason: string };
  /** Groups the notices of one object into one Slack thread (`flux-relay.fluxcd.io/slack-thread: object`). */
  threadKey?: string;
}
