import { loadConfig } from "../config/store";
import { relayEnv } from "../env";
import type { FluxEvent } from "../flux/event";
import { UnavailableError } from "../lib/errors";
import { matchingSilence } from "../rules/silences";
import { log } from "../lib/log";
import { clusterStub, type IntakeResult } from "./cluster-object";
import { returnInvalid, takeInvalid } from "./rejections";
import { prepareEvent, routeEvent, type PreparedEvent, type Routing } from "./route";

/** Seconds a sender is asked to wait after a 503 (storage or configuration unavailable). */
const RETRY_AFTER_SECONDS = 5;

/**
 * The ingress pipeline after authentication and decoding: Flux's ingestion steps, routing over
 * the cached configuration (pure CPU), then the one Durable Object call, to the sending
 * cluster's intake. Throws 503 (nothing accepted) when the configuration or storage is unavailable.
 * `now` is injectable for tests of the dedup window.
 */
export async function ingest(env: Env, cluster: string, received: FluxEvent, now = Date.now()): Promise<{ prepared: PreparedEvent; routing: Routing; result: IntakeResult }> {
  const prepared = await prepareEvent(received);
  let config;
  try {
    config = await loadConfig(env, now);
  } catch (err) {
    log("error", "configuration unreadable", { cluster, error: String(err) });
    throw new UnavailableError("the configuration store (KV) is unavailable; nothing was accepted, retry later", RETRY_AFTER_SECONDS);
  }
  const routing = routeEvent(prepared, cluster, config);
  // Silences match the event, not an Alert: found once, here, in the cached snapshot.
  const silence = routing.deliveries.length > 0 ? matchingSilence(config.silences, cluster, prepared.event, now) : undefined;
  const invalid = takeInvalid(cluster);
  try {
    const result = await clusterStub(env, cluster).intake({
      cluster,
      dedupKey: prepared.dedupKey,
      windowMs: relayEnv(env).dedupWindowMs,
      event: prepared.event,
      deliveries: routing.deliveries,
      ...(silence ? { silence } : {}),
      now,
      invalid,
    });
    return { prepared, routing, result };
  } catch (err) {
    returnInvalid(cluster, invalid);
    log("error", "cluster intake failed", { cluster, error: String(err) });
    throw new UnavailableError("durable storage failed; nothing was accepted, retry later", RETRY_AFTER_SECONDS);
  }
}
