import { Hono, type Context } from "hono";
import { dump } from "js-yaml";
import { configKey, invalidateConfig, loadConfig, type ConfigSnapshot } from "../config/store";
import { providerStub } from "../delivery/provider-stub";
import type { ProviderRef } from "../delivery/provider-object";
import { parseManifest, type ManifestKind, type ProviderManifest } from "../flux/manifests";
import { requireReadOrAdminForWrites } from "../lib/admin-auth";
import { MAX_YAML_BYTES } from "../lib/bounded-yaml";
import { BadRequestError, InvalidManifestError, NotFoundError, RelayError } from "../lib/errors";
import { idsBodySchema } from "./api-schemas";
import { openApiDocument } from "./openapi";
import { clusters } from "./clusters";
import { silences } from "./silences";
import { alertPreview } from "./preview";
import { alertView, providerView } from "./views";

type Env_ = { Bindings: Env };

/** Largest manifest a PUT accepts: the same bound as a manifest loaded from KV. */
export const MAX_MANIFEST_BYTES = MAX_YAML_BYTES;

/** The admin API (docs/operations.md): GET routes with READ_TOKEN or ADMIN_TOKEN, every write with ADMIN_TOKEN only. */
export const api = new Hono<Env_>();

api.use("*", requireReadOrAdminForWrites);
api.route("/clusters", clusters);

/**
 * Answers JSON, or YAML with `?format=yaml` (what `kubectl get -o yaml` users expect). The YAML
 * holds what the JSON would: undefined fields left out, no anchors for repeated objects. js-yaml
 * quotes strings that a YAML 1.1 reader such as kubectl's would take for a boolean or a date
 * (`yes`, `2026-01-01`), so the answer can be applied again as it is.
 */
function respond(c: Context<Env_>, body: unknown, status: 200 | 201 = 200) {
  if (c.req.query("format") === "yaml") return c.body(dump(body, { noRefs: true, skipInvalid: true }), status, { "content-type": "application/yaml; charset=utf-8" });
  return c.json(body, status);
}

const refOf = (c: Context<Env_>): ProviderRef => ({ namespace: c.req.param("ns")!, name: c.req.param("name")! });

/** 404 when nothing is stored under the key; 422 with the stored manifest's problems when it is invalid. */
function requireManifest<K extends ManifestKind>(config: ConfigSnapshot, kind: K, ref: ProviderRef) {
  const found = kind === "Provider"
    ? config.providers.get(`${ref.namespace}/${ref.name}`)
    : config.alerts.find((a) => a.metadata.namespace === ref.namespace && a.metadata.name === ref.name);
  if (found) return found as K extends "Provider" ? ProviderManifest : typeof config.alerts[number];
  const key = configKey(kind, ref.namespace, ref.name);
  const invalid = config.invalid.find((i) => i.key === key);
  if (invalid) throw new InvalidManifestError(`the ${kind} stored under ${key} is invalid; PUT a corrected manifest`, invalid.details);
  throw new NotFoundError(`${kind.toLowerCase()} ${ref.namespace}/${ref.name} not found (KV key ${key})`);
}

async function requireProvider(c: Context<Env_>): Promise<{ ref: ProviderRef; manifest: ProviderManifest }> {
  const ref = refOf(c);
  return { ref, manifest: requireManifest(await loadConfig(c.env), "Provider", ref) };
}

/**
 * For the outbox operations: a Provider whose stored manifest became invalid still owns queued
 * messages and dead letters that an operator must be able to inspect, replay or discard.
 */
async function requireStoredProvider(c: Context<Env_>): Promise<ProviderRef> {
  const ref = refOf(c);
  try {
    requireManifest(await loadConfig(c.env), "Provider", ref);
  } catch (err) {
    if (!(err instanceof InvalidManifestError)) throw err;
  }
  return ref;
}

api.route("/silences", silences);
api.route("/alerts", alertPreview);

api.get("/openapi.json", (c) => c.json(openApiDocument()));

api.get("/providers", async (c) => {
  const config = await loadConfig(c.env);
  const items = await Promise.all([...config.providers.values()].map((p) => providerView(c.env, p)));
  return respond(c, { apiVersion: "v1", kind: "List", items, invalid: config.invalid.filter((i) => i.kind === "Provider") });
});

api.get("/providers/:ns/:name", async (c) => {
  const { manifest } = await requireProvider(c);
  return respond(c, await providerView(c.env, manifest));
});

async function setSuspended(c: Context<Env_>, suspended: boolean) {
  const { ref, manifest } = await requireProvider(c);
  await providerStub(c.env, ref).setSuspended(ref, suspended);
  return respond(c, await providerView(c.env, manifest));
}

api.post("/providers/:ns/:name/suspend", (c) => setSuspended(c, true));
api.post("/providers/:ns/:name/resume", (c) => setSuspended(c, false));

api.post("/providers/:ns/:name/retry", async (c) => {
  const ref = await requireStoredProvider(c);
  return c.json(await providerStub(c.env, ref).retryNow(ref));
});

api.post("/providers/:ns/:name/test", async (c) => {
  const { ref } = await requireProvider(c);
  return c.json(await providerStub(c.env, ref).testSend(ref));
});

function limitOf(c: Context<Env_>): number {
  const raw = c.req.query("limit");
  if (raw === undefined) return 100;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadRequestError("limit: must be an integer from 1 to 1000");
  return limit;
}

api.get("/providers/:ns/:name/deliveries", async (c) => {
  const limit = limitOf(c);
  const ref = await requireStoredProvider(c);
  return respond(c, { items: await providerStub(c.env, ref).deliveries(limit) });
});

api.get("/providers/:ns/:name/deadletters", async (c) => {
  const limit = limitOf(c);
  const ref = await requireStoredProvider(c);
  return respond(c, { items: await providerStub(c.env, ref).deadLetters(limit) });
});

api.get("/providers/:ns/:name/deadletters/:id", async (c) => {
  const id = Number(c.req.param("id"));
  if (!Number.isSafeInteger(id) || id < 1) throw new BadRequestError("id: must be a positive integer (a dead letter id)");
  const ref = await requireStoredProvider(c);
  const letter = await providerStub(c.env, ref).deadLetter(id);
  if (!letter) throw new NotFoundError(`dead letter ${id} of provider ${ref.namespace}/${ref.name} not found`);
  return respond(c, letter);
});

/** `{"ids": [...]}` selects dead letters; an empty body means all of them. */
async function readIds(c: Context<Env_>): Promise<number[] | undefined> {
  const text = await c.req.text();
  if (!text.trim()) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BadRequestError('body must be JSON {"ids": [<dead letter id>, ...]} or empty for all');
  }
  const parsed = idsBodySchema.safeParse(raw);
  if (!parsed.success) throw new BadRequestError("invalid body", parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`));
  return parsed.data.ids;
}

api.post("/providers/:ns/:name/deadletters/replay", async (c) => {
  const ref = await requireStoredProvider(c);
  return c.json(await providerStub(c.env, ref).replayDeadLetters(await readIds(c)));
});

api.post("/providers/:ns/:name/deadletters/discard", async (c) => {
  const ref = await requireStoredProvider(c);
  return c.json(await providerStub(c.env, ref).discardDeadLetters(await readIds(c)));
});

api.get("/alerts", async (c) => {
  const config = await loadConfig(c.env);
  const items = await Promise.all(config.alerts.map((a) => alertView(c.env, a, config)));
  return respond(c, { apiVersion: "v1", kind: "List", items, invalid: config.invalid.filter((i) => i.kind === "Alert") });
});

api.get("/alerts/:ns/:name", async (c) => {
  const config = await loadConfig(c.env);
  return respond(c, await alertView(c.env, requireManifest(config, "Alert", refOf(c)), config));
});

async function readManifestText(c: Context<Env_>): Promise<string> {
  const declared = Number(c.req.header("content-length") ?? "NaN");
  if (declared > MAX_MANIFEST_BYTES) throw new RelayError(413, `a manifest is limited to ${MAX_MANIFEST_BYTES} bytes`);
  const text = await c.req.text();
  if (new TextEncoder().encode(text).byteLength > MAX_MANIFEST_BYTES) throw new RelayError(413, `a manifest is limited to ${MAX_MANIFEST_BYTES} bytes`);
  return text;
}

/**
 * PUT validates the whole manifest (YAML or JSON) and writes it only when valid: 422 with every
 * problem otherwise. 201 when it created the object, 200 when it replaced one. The answer is the
 * object as GET shows it, status included.
 */
function putRoute(kind: ManifestKind) {
  return async (c: Context<Env_>) => {
    const { namespace, name } = refOf(c);
    const text = await readManifestText(c);
    const manifest = parseManifest(kind, text, { namespace, name });
    const key = configKey(kind, namespace, name);
    const existed = (await c.env.CONFIG.get(key)) !== null;
    // The user's own text is stored (comments and all), as `kubectl apply` users expect to read it back.
    await c.env.CONFIG.put(key, text);
    invalidateConfig();
    const status = existed ? 200 : 201;
    if (kind === "Provider") return respond(c, await providerView(c.env, manifest as ProviderManifest), status);
    return respond(c, await alertView(c.env, manifest as never, await loadConfig(c.env)), status);
  };
}

function deleteRoute(kind: ManifestKind) {
  return async (c: Context<Env_>) => {
    const { namespace, name } = refOf(c);
    const key = configKey(kind, namespace, name);
    if ((await c.env.CONFIG.get(key)) === null) throw new NotFoundError(`${kind.toLowerCase()} ${namespace}/${name} not found (KV key ${key})`);
    await c.env.CONFIG.delete(key);
    invalidateConfig();
    return c.json({ deleted: key });
  };
}

api.put("/providers/:ns/:name", putRoute("Provider"));
api.delete("/providers/:ns/:name", deleteRoute("Provider"));
api.put("/alerts/:ns/:name", putRoute("Alert"));
api.delete("/alerts/:ns/:name", deleteRoute("Alert"));
