import { Hono } from "hono";
import { configKey, loadConfig } from "../config/store";
import { parseFluxEvent } from "../flux/event";
import { BadRequestError, InvalidManifestError, NotFoundError, PayloadTooLargeError } from "../lib/errors";
import { previewAlert, sampleEvents } from "../rules/preview";

type Env_ = { Bindings: Env };

/** Same bound as the hook: a Flux event is a few KiB. */
const MAX_EVENT_BYTES = 1024 * 1024;
const CLUSTER_NAME = /^[a-z0-9-]{1,63}$/;

/**
 * `POST /api/v1/alerts/:ns/:name/preview?cluster=<name>` (docs/operations.md): the exact request
 * the Alert's provider would send for an event (the body, as a cluster posts it) or for a sample
 * event per severity (empty body), with noise control's decision. Sends nothing.
 */
export const alertPreview = new Hono<Env_>();

alertPreview.post("/:ns/:name/preview", async (c) => {
  const namespace = c.req.param("ns");
  const name = c.req.param("name");
  const cluster = c.req.query("cluster");
  if (cluster !== undefined && !CLUSTER_NAME.test(cluster)) throw new BadRequestError("cluster: must match [a-z0-9-]{1,63}");
  const config = await loadConfig(c.env);
  const alert = config.alerts.find((a) => a.metadata.namespace === namespace && a.metadata.name === name);
  if (!alert) {
    const key = configKey("Alert", namespace, name);
    const invalid = config.invalid.find((i) => i.key === key);
    if (invalid) throw new InvalidManifestError(`the Alert stored under ${key} is invalid; PUT a corrected manifest`, invalid.details);
    throw new NotFoundError(`alert ${namespace}/${name} not found (KV key ${key})`);
  }
  const text = await c.req.text();
  if (text.length > MAX_EVENT_BYTES) throw new PayloadTooLargeError(MAX_EVENT_BYTES);
  const now = Date.now();
  const events = text.trim() === "" ? sampleEvents(alert, now) : [parseFluxEvent(text)];
  return c.json(await previewAlert(c.env, config, alert, cluster, events, now));
});
