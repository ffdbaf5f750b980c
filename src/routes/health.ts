import { Hono } from "hono";
import { lastConfig, loadConfig } from "../config/store";
import { ingressKeysProblem } from "../ingress/keys";
import { roleOfToken, tokenProblems } from "../lib/admin-auth";

export const health = new Hono<{ Bindings: Env }>();

/**
 * `GET /healthz`: a sanity summary without secrets. 503 when the relay cannot accept events at all
 * (no ingress keys, KV unreadable); invalid manifests and weak tokens are reported but do not
 * fail it. Without a token it shows counts only, from the isolate's cached configuration (no KV
 * read per anonymous call); with ADMIN_TOKEN or READ_TOKEN as bearer it re-reads KV and names the
 * invalid manifests.
 */
health.get("/", async (c) => {
  const problems: string[] = [];
  const ingress = ingressKeysProblem(c.env.INGRESS_KEYS);
  if (ingress) problems.push(ingress);
  if (!c.env.ADMIN_TOKEN) problems.push("ADMIN_TOKEN is not set: the admin API and status page are disabled");
  problems.push(...tokenProblems(c.env));
  const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization")?.trim() ?? "");
  const named = !!bearer && !!roleOfToken(c.env, bearer[1]);
  let summary: Record<string, unknown> = {};
  try {
    const config = named ? await loadConfig(c.env) : await lastConfig(c.env);
    summary = {
      providers: config.providers.size,
      alerts: config.alerts.length,
      invalid: named ? config.invalid.map((i) => ({ key: i.key, details: i.details })) : config.invalid.length,
    };
  } catch (err) {
    problems.push(`cannot read configuration from KV: ${(err as Error).message}`);
  }
  const ok = !ingress && !problems.some((p) => p.startsWith("cannot read"));
  return c.json({ status: ok ? "ok" : "unavailable", problems, ...summary }, ok ? 200 : 503);
});
