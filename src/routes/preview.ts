import { Hono } from "hono";
import * as z from "../lib/zod";
import { configKey, loadConfig } from "../config/store";
import { parseFluxEvent } from "../flux/event";
import { BadRequestError, InvalidManifestError, NotFoundError, PayloadTooLargeError } from "../lib/errors";
import { previewAlert, sampleEvents } from "../rules/preview";

type Env_ = { Bindings: Env };

const previewRequestSchema = z.object({ method: z.string(), url: z.string(), headers: z.record(z.string(), z.string()), body: z.string() });

/** The answer of the preview route (src/rules/preview.ts AlertPreview), for the OpenAPI document. */
export const alertPreviewSchema = z.object({
  alert: z.object({ namespace: z.string(), name: z.string() }),
  cluster: z.nullable(z.string()),
  provider: z.object({ namespace: z.string(), name: z.string(), type: z.nullable(z.string()) }),
  previews: z.array(
    z.object({
      event: z.record(z.string(), z.unknown()).check(z.describe("the event as the provider would receive it")),
      matched: z.boolean().check(z.describe("whether the Alert selects the event")),
      noise: z.object({ deliver: z.boolean(), outcome: z.enum(["delivered", "suppressed", "silenced"]), reason: z.string(), transition: z.optional(z.string()) }),
      template: z.optional(z.object({ rendered: z.optional(z.object({ message: z.optional(z.string()), title: z.optional(z.string()), body: z.optional(z.string()) })), error: z.optional(z.string()) })),
      request: z.optional(previewRequestSchema).check(z.describe("secrets redacted")),
      skipped: z.optional(z.string()),
      error: z.optional(z.string()),
    }),
  ),
});

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
