import type { ConfigSnapshot } from "../config/store";
import { dedupKey } from "../flux/dedup";
import type { FluxEvent } from "../flux/event";
import { providerFilter } from "../flux/filters";
import type { AlertManifest } from "../flux/manifests";
import { matchAlert } from "../flux/match";
import { cleanMetadata, combineMetadata, eventShape, removeToken, type EventShape } from "../flux/metadata";
import { log } from "../lib/log";
import { selectsCluster } from "../rules/clusters";

/** An event as the ingress works with it: shape and cleaned metadata computed once. */
export interface PreparedEvent {
  /** Cleaned (Flux's ingestion rules) and token-free: what Alerts match and deliveries carry. */
  event: FluxEvent;
  shape: EventShape;
  /** Flux's dedup key (hex SHA-256), computed on the cleaned event before the token is removed. */
  dedupKey: string;
}

/** One (event, Alert) pair bound for a provider, before the cluster's intake log numbers it. */
export interface RoutedDelivery {
  alert: { namespace: string; name: string };
  provider: { namespace: string; name: string };
  /** The event's metadata combined for this Alert (cluster set): the rest of the event is shared. */
  metadata: Record<string, string>;
  /** The Alert's annotations, for the rules decided at intake (noise control reads its own there). */
  annotations: Record<string, string>;
}

/** How an event was routed: deliveries plus what the log line and the Alerts' status report. */
export interface Routing {
  deliveries: RoutedDelivery[];
  /** `<ns>/<name>` of every Alert that selected the event. */
  matchedAlerts: string[];
  /** Alerts that matched but deliver nothing, with the reason (suspended provider, type filter, missing provider). */
  skipped: { alert: string; reason: string }[];
}

/**
 * Flux's ingestion steps for one event (spec 1.4): metadata cleanup, dedup key (the token counts),
 * token removal. The shape is decided once on the received event: cleanup keeps exactly the keys
 * that made it controller-shaped, so it cannot change.
 */
export async function prepareEvent(received: FluxEvent): Promise<PreparedEvent> {
  const shape = eventShape(received);
  const cleaned = cleanMetadata(received, shape);
  return { event: removeToken(cleaned, shape), shape, dedupKey: await dedupKey(cleaned, shape) };
}

/**
 * Flux's routing (spec 2 and 4.1) over the cached configuration, pure CPU: the cluster selection
 * annotation (src/rules/clusters.ts), Alert matching, provider lookup, suspend, provider-type
 * filters, then metadata combination with the path's cluster. One delivery per matching Alert.
 */
export function routeEvent(prepared: PreparedEvent, cluster: string, config: ConfigSnapshot): Routing {
  const { event, shape } = prepared;
  const routing: Routing = { deliveries: [], matchedAlerts: [], skipped: [] };
  for (const alert of config.alerts) {
    if (!selectsCluster(alert, cluster)) continue;
    const match = matchAlert(event, alert);
    const alertName = `${alert.metadata.namespace}/${alert.metadata.name}`;
    for (const problem of match.problems) log("warn", problem.message, { alert: alertName, reason: problem.reason });
    if (!match.matched) continue;
    routing.matchedAlerts.push(alertName);
    const skipped = providerProblem(prepared, alert, config);
    if (skipped) {
      routing.skipped.push({ alert: alertName, reason: skipped });
      continue;
    }
    const combined = combineMetadata(event, alert, cluster, shape);
    if (Object.keys(combined.conflicts).length > 0) {
      log("info", "warning: metadata key conflicts detected", { alert: alertName, reason: "MetadataAppendFailed", conflicts: combined.conflicts });
    }
    routing.deliveries.push({
      alert: { namespace: alert.metadata.namespace, name: alert.metadata.name },
      provider: { namespace: alert.metadata.namespace, name: alert.spec.providerRef.name },
      metadata: combined.event.metadata,
      annotations: alert.metadata.annotations ?? {},
    });
  }
  return routing;
}

/** Why the Alert's provider takes nothing from this event, or undefined when it does. */
function providerProblem({ event, shape }: PreparedEvent, alert: AlertManifest, config: ConfigSnapshot): string | undefined {
  const ref = `${alert.metadata.namespace}/${alert.spec.providerRef.name}`;
  const provider = config.providers.get(ref);
  if (!provider) {
    const reason = `failed to read provider ${ref}: not found`;
    // Flux records this as a NotificationDispatchFailed Warning on the Alert: a log line here, and the Alert's status.
    log("warn", `failed to dispatch notification for ${event.involvedObject.kind}/${event.involvedObject.namespace}/${event.involvedObject.name}: ${reason}`, {
      alert: `${alert.metadata.namespace}/${alert.metadata.name}`,
      reason: "NotificationDispatchFailed",
    });
    return reason;
  }
  if (provider.spec.suspend) return "provider suspended";
  const filter = providerFilter(event, provider.spec.type, shape);
  return filter.pass ? undefined : filter.reason;
}
