import { Hono } from "hono";
import { RelayError } from "./lib/errors";
import { log } from "./lib/log";
import { api } from "./routes/api";
import { alertDetail } from "./routes/alert-detail";
import { dashboard } from "./routes/dashboard";
import { demo } from "./routes/demo";
import { health } from "./routes/health";
import { hook } from "./ingress/hook";
import { metrics } from "./routes/metrics";

/** The Worker's HTTP surface: the hook, the admin API, metrics and the status page (docs/operations.md). */
export const app = new Hono<{ Bindings: Env }>();

app.route("/hook", hook);
app.route("/healthz", health);
app.route("/api/v1", api);
app.route("/demo", demo);
app.route("/metrics", metrics);
app.route("/", alertDetail);
app.route("/", dashboard);

app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}`, details: [] }, 404));

/** The one place where typed errors become HTTP: JSON `{error, details}` with the right status. */
app.onError((err, c) => {
  if (err instanceof RelayError) {
    return c.json({ error: err.message, details: err.details }, err.status, err.headers);
  }
  log("error", "unhandled error", { path: new URL(c.req.url).pathname, error: String(err), stack: (err as Error).stack });
  return c.json({ error: "internal error", details: [] }, 500);
});
