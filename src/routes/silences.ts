import { Hono } from "hono";
import { invalidateConfig, loadConfig } from "../config/store";
import { requireAdmin } from "../lib/admin-auth";
import { BadRequestError, NotFoundError, RelayError } from "../lib/errors";
import {
  expireSilence, MAX_LIVE_SILENCES, newSilence, parseStoredSilence, SILENCE_PREFIX, silenceExpiration, silenceInputSchema,
  silenceState, silenceTimeProblems, silenceViews, type Silence, type SilenceView,
} from "../rules/silences";

type Env_ = { Bindings: Env };

/**
 * `GET/POST /api/v1/silences`, `GET/DELETE /api/v1/silences/:id` (src/rules/silences.ts, docs/noise-control.md).
 * Mounted under the admin API, whose authentication applies; writes also require the admin token here.
 */
export const silences = new Hono<Env_>();

/** Every silence with its state, active first: the listing and the status page read this. */
export async function listSilences(env: Env, now = Date.now()): Promise<SilenceView[]> {
  return silenceViews((await loadConfig(env, now)).silences, now);
}

const view = (s: Silence, now: number): SilenceView => ({ ...s, status: { state: silenceState(s, now) } });

async function store(env: Env, silence: Silence): Promise<void> {
  await env.CONFIG.put(`${SILENCE_PREFIX}${silence.id}`, JSON.stringify(silence), { expiration: silenceExpiration(silence) });
  // The next snapshot of this isolate re-reads KV, so the write takes effect here at once.
  invalidateConfig();
}

async function find(env: Env, id: string): Promise<Silence> {
  const silence = /^[0-9a-f-]{36}$/.test(id) ? parseStoredSilence(await env.CONFIG.get(`${SILENCE_PREFIX}${id}`)) : undefined;
  if (!silence) throw new NotFoundError(`silence ${id} not found (expired silences are kept for 7 days)`);
  return silence;
}

silences.get("/", async (c) => c.json({ items: await listSilences(c.env) }));

silences.get("/:id", async (c) => c.json(view(await find(c.env, c.req.param("id")), Date.now())));

/**
 * Validates and stores a new silence (the API's POST and the status page's form): 422 naming every
 * bad field, 409 when too many are live, nothing stored on error.
 */
export async function createSilence(env: Env, raw: unknown, now = Date.now()): Promise<SilenceView> {
  const parsed = silenceInputSchema.safeParse(raw);
  const details = parsed.success ? silenceTimeProblems(parsed.data, now) : parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
  if (!parsed.success || details.length > 0) throw new RelayError(422, "invalid silence", details);
  const live = (await loadConfig(env, now)).silences.filter((s) => silenceState(s, now) !== "expired").length;
  if (live >= MAX_LIVE_SILENCES) throw new RelayError(409, `${live} silences are pending or active (at most ${MAX_LIVE_SILENCES}); expire some first`);
  const silence = newSilence(parsed.data, crypto.randomUUID(), now);
  await store(env, silence);
  return view(silence, now);
}

/** Expires a silence now (404 when unknown); an expired one is answered unchanged. */
export async function expireSilenceById(env: Env, id: string, now = Date.now()): Promise<SilenceView> {
  const silence = await find(env, id);
  const expired = expireSilence(silence, now);
  if (expired !== silence) await store(env, expired);
  return view(expired, now);
}

silences.post("/", requireAdmin, async (c) => {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new BadRequestError("body must be a JSON silence: {matchers, endsAt, comment, startsAt?, createdBy?}");
  }
  return c.json(await createSilence(c.env, raw), 201);
});

/** Expires the silence (Alertmanager's expire): it stays listed, as expired, for 7 days. */
silences.delete("/:id", requireAdmin, async (c) => c.json(await expireSilenceById(c.env, c.req.param("id"))));
