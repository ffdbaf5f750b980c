import { Hono, type MiddlewareHandler } from "hono";
import { dispatchEvent } from "../delivery/dispatch";
import { ingressResult, recordIngress } from "../delivery/ingress-counter";
import { parseFluxEvent } from "../flux/event";
import { BadRequestError, PayloadTooLargeError } from "../lib/errors";
import { verifyIngress } from "../lib/ingress-auth";
import { log } from "../lib/log";
import { readCapped } from "../lib/read-capped";

/** Flux's event server limit since v1.9.3: exactly 3 MiB is accepted, one byte more is 413. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
const CLUSTER = /^[a-z0-9-]{1,63}$/;

type HookEnv = {
  Bindings: Env;
  /** Set once the request is authenticated: only then does the cluster name become a metric label. */
  Variables: { cluster?: string; outcome?: "accepted" | "unmatched" | "duplicate" };
};

export const hook = new Hono<HookEnv>();

/** Counts every hook request by cluster and result (flux_relay_events_received_total), after the answer. */
const countRequest: MiddlewareHandler<HookEnv> = async (c, next) => {
  await next();
  const counted = recordIngress(c.env, c.get("cluster") ?? "", ingressResult(c.res.status, c.get("outcome")));
  try {
    c.executionCtx.waitUntil(counted);
  } catch {
    await counted;
  }
};

/**
 * `POST /hook/:cluster` (docs/operations.md): size cap, signature, Go-style decode, then the Flux
 * pipeline. 202 only after every matching outbox stored the event.
 */
hook.post("/:cluster", countRequest, async (c) => {
  const started = Date.now();
  const cluster = c.req.param("cluster");
  if (!CLUSTER.test(cluster)) throw new BadRequestError("cluster: the path segment must match [a-z0-9-]{1,63}");
  const declared = Number(c.req.header("content-length") ?? "NaN");
  if (declared > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const body = await readCapped(c.req.raw.body, MAX_BODY_BYTES, { overflow: "throw", onOverflow: () => new PayloadTooLargeError(MAX_BODY_BYTES) });
  await verifyIngress(c.env.INGRESS_KEYS, cluster, c.req.raw.headers, body);
  c.set("cluster", cluster);
  // Go keeps invalid UTF-8 as U+FFFD rather than refusing the event.
  const event = parseFluxEvent(new TextDecoder().decode(body));
  const result = await dispatchEvent(c.env, event, cluster);
  c.set("outcome", result.duplicate ? "duplicate" : result.accepted > 0 ? "accepted" : "unmatched");
  log("info", "event received", {
    cluster,
    event: `${event.involvedObject.kind}/${event.involvedObject.namespace}/${event.involvedObject.name}`,
    severity: event.severity,
    reason: event.reason,
    outcome: result.duplicate ? "duplicate" : result.accepted > 0 ? "accepted" : "no-delivery",
    matchedAlerts: result.matchedAlerts,
    skipped: result.skipped,
    accepted: result.accepted,
    durationMs: Date.now() - started,
  });
  return c.json({ accepted: result.accepted, duplicate: result.duplicate }, 202);
});
