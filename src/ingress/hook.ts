import { Hono } from "hono";
import { relayEnv } from "../env";
import { parseFluxEvent } from "../flux/event";
import { BadRequestError, PayloadTooLargeError, RelayError, UnauthorizedError } from "../lib/errors";
import { log, SampledLog } from "../lib/log";
import { enforceRateLimit } from "../lib/rate-limit";
import { readCapped } from "../lib/read-capped";
import { ingest } from "./ingest";
import { verifyIngress } from "./keys";
import { countRejection, type Rejection } from "./rejections";

/**
 * Largest accepted body: 1 MiB. Flux events are a few KiB, and the event is stored as one row of
 * the cluster's SQLite intake log, whose rows are limited to 2 MB
 * (https://developers.cloudflare.com/durable-objects/platform/limits/).
 */
export const MAX_BODY_BYTES = 1024 * 1024;
const CLUSTER = /^[a-z0-9-]{1,63}$/;

export const hook = new Hono<{ Bindings: Env }>();

/**
 * Per isolate, accepted and duplicate events are logged one by one up to this many per second;
 * beyond it they are counted per cluster and outcome in an `events received not logged one by one`
 * line. Every event is still counted by its cluster (`GET /api/v1/clusters`), and refusals and
 * events that deliver nothing are always logged.
 */
const RECEIVED_LOGS_PER_SECOND = 10;
const receivedLog = new SampledLog("event received", "events received not logged one by one", RECEIVED_LOGS_PER_SECOND);

/** 429 comes only from the limiter of failed authentications: those requests were unauthorized. */
const REJECTION_BY_STATUS: Partial<Record<number, Rejection>> = { 400: "invalid", 401: "unauthorized", 413: "too_large", 429: "unauthorized", 503: "unavailable" };

/**
 * `POST /hook/:cluster`: size cap, signature, Go-style decode, routing over the cached
 * configuration (pure CPU), then exactly one Durable Object call, the sending cluster's intake,
 * which commits dedup and the routed deliveries together; 202 only after that commit. A request
 * refused before it (400, 401, 413) touches no storage at all: it is counted in memory and logged.
 */
hook.post("/:cluster", async (c) => {
  const started = Date.now();
  const cluster = c.req.param("cluster");
  let authenticated = false;
  try {
    if (!CLUSTER.test(cluster)) throw new BadRequestError("cluster: the path segment must match [a-z0-9-]{1,63}");
    const declared = Number(c.req.header("content-length") ?? "NaN");
    if (declared > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
    // HTTP framing ends a body at its declared length, so a declared body within the cap is read
    // whole at once (and measured again); a chunked one is counted while it streams in.
    const body = Number.isSafeInteger(declared)
      ? new Uint8Array(await c.req.raw.arrayBuffer())
      : await readCapped(c.req.raw.body, MAX_BODY_BYTES, { overflow: "throw", onOverflow: () => new PayloadTooLargeError(MAX_BODY_BYTES) });
    if (body.byteLength > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
    try {
      await verifyIngress(relayEnv(c.env).ingressKeys, cluster, c.req.raw.headers, body);
    } catch (err) {
      // Only failed authentications count against the client's address: a cluster's own events never wait.
      if (err instanceof UnauthorizedError) await enforceRateLimit(c.env.HOOK_AUTH_LIMITER, c.req.raw.headers, "unauthenticated hook requests");
      throw err;
    }
    authenticated = true;
    // Go keeps invalid UTF-8 as U+FFFD rather than refusing the event.
    const { prepared, routing, result } = await ingest(c.env, cluster, parseFluxEvent(new TextDecoder().decode(body)), started);
    const o = prepared.event.involvedObject;
    const outcome = result.duplicate ? "duplicate" : result.accepted > 0 ? "accepted" : "no-delivery";
    const fields = {
      cluster,
      event: `${o.kind}/${o.namespace}/${o.name}`,
      severity: prepared.event.severity,
      reason: prepared.event.reason,
      outcome,
      matchedAlerts: routing.matchedAlerts,
      skipped: routing.skipped,
      accepted: result.accepted,
      durationMs: Date.now() - started,
    };
    // What explains a missing notification (nothing matched, an Alert skipped) is always logged.
    if (outcome === "no-delivery" || routing.skipped.length > 0) log("info", "event received", fields);
    else receivedLog.info(`${cluster} ${outcome}`, fields);
    return c.json({ accepted: result.accepted, duplicate: result.duplicate }, 202);
  } catch (err) {
    const rejection = err instanceof RelayError ? REJECTION_BY_STATUS[err.status] : undefined;
    if (rejection) {
      countRejection(authenticated ? cluster : "", rejection);
      log("warn", "hook request refused", { cluster: authenticated ? cluster : "", status: (err as RelayError).status, error: (err as Error).message });
    }
    throw err;
  }
});
