import { Hono, type Context } from "hono";
import { stringify as toYaml } from "yaml";
import { z } from "zod";
import { configKey, invalidateConfig, loadConfig, type ConfigSnapshot } from "../config/store";
import { providerStub } from "../delivery/dispatch";
import type { ProviderRef } from "../delivery/provider-object";
import { alertConditions } from "../delivery/alert-status";
import { parseManifest, type AlertManifest, type ManifestKind, type ProviderManifest } from "../flux/manifests";
import { BadRequestError, NotFoundError } from "../lib/errors";
import { requireAdmin } from "../lib/admin-auth";

type Env_ = { Bindings: Env };
export const api = new Hono<Env_>();

api.use("*", requireAdmin);

/** Answers JSON, or YAML with `?format=yaml` (what `kubectl get -o yaml` users expect). */
function respond(c: Context<Env_>, body: unknown, status: 200 | 201 = 200) {
  if (c.req.query("format") === "yaml") return c.body(toYaml(body), status, { "content-type": "application/yaml; charset=utf-8" });
  return c.json(body, status);
}

const refOf = (c: Context<Env_>): ProviderRef => ({ namespace: c.req.param("ns")!, name: c.req.param("name")! });

async function requireProvider(c: Context<Env_>): Promise<{ ref: ProviderRef; manifest: ProviderManifest; config: ConfigSnapshot }> {
  const ref = refOf(c);
  const config = await loadConfig(c.env);
  const manifest = config.providers.get(`${ref.namespace}/${ref.name}`);
  if (!manifest) throw new NotFoundError(`provider ${ref.namespace}/${ref.name} not found (KV key ${configKey("Provider", ref.namespace, ref.name)})`);
  return { ref, manifest, config };
}

/** The Provider as Flux would show it, with the Durable Object's status. */
async function providerObject(env: Env, manifest: ProviderManifest) {
  const ref = { namespace: manifest.metadata.namespace, name: manifest.metadata.name };
  const status = await providerStub(env, ref).status(ref);
  return { ...manifest, status };
}

async function alertObject(env: Env, alert: AlertManifest, config: ConfigSnapshot) {
  const ref = { namespace: alert.metadata.namespace, name: alert.spec.providerRef.name };
  const provider = config.providers.get(`${ref.namespace}/${ref.name}`);
  const providerStatus = provider ? await providerStub(env, ref).status(ref) : undefined;
  const dispatchFailures = provider ? await providerStub(env, ref).alertEvents(`${alert.metadata.namespace}/${alert.metadata.name}`) : [];
  return { ...alert, status: { ...alertConditions({ alert, providerFound: !!provider, providerStatus, dispatchFailures }), dispatchFailures } };
}

api.get("/providers", async (c) => {
  const config = await loadConfig(c.env);
  const items = await Promise.all([...config.providers.values()].map((p) => providerObject(c.env, p)));
  return respond(c, { apiVersion: "v1", kind: "List", items, invalid: config.invalid.filter((i) => i.kind === "Provider") });
});

api.get("/providers/:ns/:name", async (c) => {
  const { manifest } = await requireProvider(c);
  return respond(c, await providerObject(c.env, manifest));
});

api.post("/providers/:ns/:name/suspend", async (c) => {
  const { ref } = await requireProvider(c);
  await providerStub(c.env, ref).setSuspended(ref, true);
  return c.json({ suspended: true });
});

api.post("/providers/:ns/:name/resume", async (c) => {
  const { ref } = await requireProvider(c);
  await providerStub(c.env, ref).setSuspended(ref, false);
  return c.json({ suspended: false });
});

api.post("/providers/:ns/:name/test", async (c) => {
  const { ref } = await requireProvider(c);
  const outcome = await providerStub(c.env, ref).testSend(ref);
  return c.json(outcome, 200);
});

const limitOf = (c: Context<Env_>) => Math.max(1, Math.min(1000, Number(c.req.query("limit") ?? 100) || 100));

api.get("/providers/:ns/:name/deliveries", async (c) => {
  const { ref } = await requireProvider(c);
  return respond(c, { items: await providerStub(c.env, ref).deliveries(limitOf(c)) });
});

api.get("/providers/:ns/:name/deadletters", async (c) => {
  const { ref } = await requireProvider(c);
  return respond(c, { items: await providerStub(c.env, ref).deadLetters(limitOf(c)) });
});

const idsBody = z.object({ ids: z.array(z.number().int().positive()).optional() }).strict();

async function readIds(c: Context<Env_>): Promise<number[] | undefined> {
  const text = await c.req.text();
  if (!text.trim()) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BadRequestError("body must be JSON {\"ids\": [<dead letter id>, ...]} or empty for all");
  }
  const parsed = idsBody.safeParse(raw);
  if (!parsed.success) throw new BadRequestError("invalid body", parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`));
  return parsed.data.ids;
}

api.post("/providers/:ns/:name/deadletters/replay", async (c) => {
  const { ref } = await requireProvider(c);
  return c.json(await providerStub(c.env, ref).replayDeadLetters(await readIds(c)));
});

api.post("/providers/:ns/:name/deadletters/discard", async (c) => {
  const { ref } = await requireProvider(c);
  return c.json(await providerStub(c.env, ref).discardDeadLetters(await readIds(c)));
});

api.get("/alerts", async (c) => {
  const config = await loadConfig(c.env);
  const items = await Promise.all(config.alerts.map((a) => alertObject(c.env, a, config)));
  return respond(c, { apiVersion: "v1", kind: "List", items, invalid: config.invalid.filter((i) => i.kind === "Alert") });
});

api.get("/alerts/:ns/:name", async (c) => {
  const { namespace, name } = refOf(c);
  const config = await loadConfig(c.env);
  const alert = config.alerts.find((a) => a.metadata.namespace === namespace && a.metadata.name === name);
  if (!alert) throw new NotFoundError(`alert ${namespace}/${name} not found (KV key ${configKey("Alert", namespace, name)})`);
  return respond(c, await alertObject(c.env, alert, config));
});

/** PUT validates the whole manifest (YAML or JSON) and writes it only when valid (422 otherwise). */
function putRoute(kind: ManifestKind) {
  return async (c: Context<Env_>) => {
    const { namespace, name } = refOf(c);
    const text = await c.req.text();
    const manifest = parseManifest(kind, text, { namespace, name });
    const key = configKey(kind, namespace, name);
    const existed = (await c.env.CONFIG.get(key)) !== null;
    // The user's own text is stored (comments and all), as `kubectl apply` users expect to read it back.
    await c.env.CONFIG.put(key, text);
    invalidateConfig();
    return respond(c, manifest, existed ? 200 : 201);
  };
}

function deleteRoute(kind: ManifestKind) {
  return async (c: Context<Env_>) => {
    const { namespace, name } = refOf(c);
    const key = configKey(kind, namespace, name);
    if ((await c.env.CONFIG.get(key)) === null) throw new NotFoundError(`${kind.toLowerCase()} ${namespace}/${name} not found`);
    await c.env.CONFIG.delete(key);
    invalidateConfig();
    return c.json({ deleted: key });
  };
}

api.put("/providers/:ns/:name", putRoute("Provider"));
api.delete("/providers/:ns/:name", deleteRoute("Provider"));
api.put("/alerts/:ns/:name", putRoute("Alert"));
api.delete("/alerts/:ns/:name", deleteRoute("Alert"));

