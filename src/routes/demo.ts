import { Hono } from "hono";
import { log } from "../lib/log";

/**
 * A built-in destination for `npm run dev` (only when the var DEMO_INBOX is "true"): prints each
 * delivery and keeps the last 20 in KV so `GET /demo/inbox` shows what a receiver got.
 *
 * An event whose message contains DEMO_FAIL_MARK (`npm run demo:send -- --fail`) is refused the way
 * a broken receiver would: HTTP 500 the first time (the relay retries), then 400 (a permanent
 * error: the relay moves it to dead letters), so the demo shows a retry and a dead letter.
 */
export const demo = new Hono<{ Bindings: Env }>();

const KEY = "demo/inbox";
export const DEMO_FAIL_MARK = "[demo:fail]";

demo.use("*", async (c, next) => {
  if (c.env.DEMO_INBOX !== "true") return c.json({ error: "the demo inbox is disabled (DEMO_INBOX is not \"true\")" }, 404);
  return next();
});

demo.post("/inbox", async (c) => {
  const text = await c.req.text();
  const body = safeJson(text);
  const status = await demoAnswer(c.env.CONFIG, body);
  const entry = { at: new Date().toISOString(), answered: status, headers: Object.fromEntries([...c.req.raw.headers].filter(([k]) => k === "gotk-component" || k === "x-signature")), body };
  log("info", "demo inbox received a delivery", entry);
  const kept = JSON.parse((await c.env.CONFIG.get(KEY)) ?? "[]") as unknown[];
  await c.env.CONFIG.put(KEY, JSON.stringify([entry, ...kept].slice(0, 20)));
  if (status === 500) return c.json({ error: "demo inbox: simulated outage, try again" }, 500);
  if (status === 400) return c.json({ error: "demo inbox: simulated rejection of a marked event" }, 400);
  return c.json({ ok: true });
});

demo.get("/inbox", async (c) => c.json(JSON.parse((await c.env.CONFIG.get(KEY)) ?? "[]")));

/** 200, or for a marked event 500 on its first delivery and 400 on every later one. */
async function demoAnswer(kv: KVNamespace, body: unknown): Promise<200 | 400 | 500> {
  const message = typeof body === "object" && body !== null ? (body as { message?: unknown }).message : undefined;
  if (typeof message !== "string" || !message.includes(DEMO_FAIL_MARK)) return 200;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(message));
  const key = `demo/failed/${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  if (await kv.get(key)) return 400;
  await kv.put(key, "1", { expirationTtl: 3600 });
  return 500;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
