import { Hono } from "hono";
import { loadConfig } from "../config/store";
import { ingressKeysProblem } from "../ingress/keys";

export const health = new Hono<{ Bindings: Env }>();

/**
 * `GET /healthz` (no auth): a sanity summary without secrets. 503 when the relay cannot accept
 * events at all (no ingress keys, KV unreadable); invalid manifests are listed but do not fail it.
 */
health.get("/", async (c) => {
  const problems: string[] = [];
  const ingress = ingressKeysProblem(c.env.INGRESS_KEYS);
  if (ingress) problems.push(ingress);
  if (!c.env.ADMIN_TOKEN) problems.push("ADMIN_TOKEN is not set: the admin API and status page are disabled");
  let summary: Record<string, unknown> = {};
  try {
    const config = await loadConfig(c.env);
    summary = {
      providers: config.providers.size,
      alerts: config.alerts.length,
      invalid: config.invalid.map((i) => ({ key: i.key, details: i.details })),
    };
  } catch (err) {
    problems.push(`cannot read configuration from KV: ${(err as Error).message}`);
  }
  const ok = !ingress && !problems.some((p) => p.startsWith("cannot read"));
  return c.json({ status: ok ? "ok" : "unavailable", problems, ...summary }, ok ? 200 : 503);
});
