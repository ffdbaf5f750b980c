import { Hono } from "hono";
import { log } from "../lib/log";

/**
 * A built-in destination for `npm run dev` (only when the var DEMO_INBOX is "true"): prints each
 * delivery and keeps the last 20 in KV so `GET /demo/inbox` shows what a receiver got.
 */
export const demo = new Hono<{ Bindings: Env }>();

const KEY = "demo/inbox";

demo.use("*", async (c, next) => {
  if (c.env.DEMO_INBOX !== "true") return c.json({ error: "the demo inbox is disabled (DEMO_INBOX is not \"true\")" }, 404);
  return next();
});

demo.post("/inbox", async (c) => {
  const body = await c.req.text();
  const entry = { at: new Date().toISOString(), headers: Object.fromEntries([...c.req.raw.headers].filter(([k]) => k === "gotk-component" || k === "x-signature")), body: safeJson(body) };
  log("info", "demo inbox received a delivery", entry);
  const kept = JSON.parse((await c.env.CONFIG.get(KEY)) ?? "[]") as unknown[];
  await c.env.CONFIG.put(KEY, JSON.stringify([entry, ...kept].slice(0, 20)));
  return c.json({ ok: true });
});

demo.get("/inbox", async (c) => c.json(JSON.parse((await c.env.CONFIG.get(KEY)) ?? "[]")));

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
