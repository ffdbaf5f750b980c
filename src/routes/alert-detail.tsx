import { Hono, type Context, type MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { loadConfig } from "../config/store";
import { parseFluxEvent, type FluxEvent } from "../flux/event";
import type { AlertManifest } from "../flux/manifests";
import { RelayError } from "../lib/errors";
import { sessionCookieName, sessionRole } from "../lib/session";
import { BODY_TEMPLATE_ANNOTATION, TEMPLATE_ANNOTATION, TITLE_TEMPLATE_ANNOTATION } from "../rules/message-template";
import { previewAlert, sampleEvents, type AlertPreview, type EventPreview } from "../rules/preview";

type Env_ = { Bindings: Env };

/**
 * The status page's Alert detail view (docs/operations.md, "Message templates"):
 * `GET /dashboard/alerts/:ns/:name` shows the Alert's templates, a sample-event editor and the
 * preview of what its provider would send; the form posts to `.../preview`, which renders the
 * same page (or, for /dashboard/alert-preview.js, only the preview) server-side. Edits in the
 * form try templates without saving them; nothing is ever sent.
 */
export const alertDetail = new Hono<Env_>();

const CLUSTER_NAME = /^[a-z0-9-]{1,63}$/;
const FIELDS = { template: TEMPLATE_ANNOTATION, titleTemplate: TITLE_TEMPLATE_ANNOTATION, bodyTemplate: BODY_TEMPLATE_ANNOTATION } as const;
type Field = keyof typeof FIELDS;

alertDetail.use("/dashboard/alerts/*", async (c, next) => {
  await next();
  c.header("content-security-policy", "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "same-origin");
  c.header("cache-control", "no-store");
});

/** Either token's session: a preview changes and sends nothing, so READ_TOKEN may use it too. */
const signedIn: MiddlewareHandler<Env_> = async (c, next) => {
  const cookie = getCookie(c, sessionCookieName(c.req.url));
  if (!c.env.ADMIN_TOKEN || !cookie || !(await sessionRole(c.env, cookie))) return c.redirect("/", 303);
  return next();
};

// The same CSRF defence as the status page's other forms: the Origin must be the page's own.
const sameOrigin: MiddlewareHandler<Env_> = async (c, next) => {
  if (c.req.header("origin") !== new URL(c.req.url).origin) return c.text("This form must be sent from the flux-relay status page itself (Origin check).", 403);
  return next();
};

alertDetail.get("/dashboard/alert-preview.js", (c) => c.body(PREVIEW_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300" }));

interface FormState {
  cluster: string;
  event: string;
  templates: Record<Field, string>;
}

alertDetail.get("/dashboard/alerts/:ns/:name", signedIn, async (c) => {
  const { alert, config } = await findAlert(c);
  if (!alert) return c.html(<NotFound c={c} />, 404);
  const now = Date.now();
  const form: FormState = { cluster: "", event: JSON.stringify(sampleEvents(alert, now)[1], null, 2), templates: annotationsOf(alert) };
  const result = await run(c.env, config, alert, form, now);
  return c.html(<DetailPage alert={alert} form={form} result={result} />);
});

alertDetail.post("/dashboard/alerts/:ns/:name/preview", sameOrigin, signedIn, async (c) => {
  const { alert, config } = await findAlert(c);
  if (!alert) return c.html(<NotFound c={c} />, 404);
  const body = await c.req.parseBody();
  const text = (key: string) => (typeof body[key] === "string" ? (body[key] as string) : "");
  const form: FormState = {
    cluster: text("cluster").trim(),
    event: text("event"),
    templates: { template: text("template"), titleTemplate: text("titleTemplate"), bodyTemplate: text("bodyTemplate") },
  };
  const result = await run(c.env, config, alert, form, Date.now());
  if (c.req.query("fragment") === "1") return c.html(<PreviewResult result={result} />);
  return c.html(<DetailPage alert={alert} form={form} result={result} />);
});

async function findAlert(c: Context<Env_>) {
  const config = await loadConfig(c.env);
  const alert = config.alerts.find((a) => a.metadata.namespace === c.req.param("ns") && a.metadata.name === c.req.param("name"));
  return { alert, config };
}

function annotationsOf(alert: AlertManifest): Record<Field, string> {
  const a = alert.metadata.annotations ?? {};
  return { template: a[TEMPLATE_ANNOTATION] ?? "", titleTemplate: a[TITLE_TEMPLATE_ANNOTATION] ?? "", bodyTemplate: a[BODY_TEMPLATE_ANNOTATION] ?? "" };
}

/** The Alert with the form's templates in place of its own (empty = not set), previewed. */
async function run(env: Env, config: Awaited<ReturnType<typeof loadConfig>>, alert: AlertManifest, form: FormState, now: number): Promise<AlertPreview | { error: string }> {
  if (form.cluster && !CLUSTER_NAME.test(form.cluster)) return { error: "cluster: must match [a-z0-9-]{1,63}" };
  let events: FluxEvent[];
  try {
    events = form.event.trim() ? [parseFluxEvent(form.event)] : sampleEvents(alert, now);
  } catch (err) {
    return { error: `event: ${err instanceof RelayError ? [err.message, ...err.details].join(": ") : String(err)}` };
  }
  const annotations: Record<string, string> = { ...alert.metadata.annotations };
  for (const field of Object.keys(FIELDS) as Field[]) {
    if (form.templates[field].trim()) annotations[FIELDS[field]] = form.templates[field];
    else delete annotations[FIELDS[field]];
  }
  const edited = { ...alert, metadata: { ...alert.metadata, annotations } };
  return previewAlert(env, config, edited, form.cluster || undefined, events, now);
}

function NotFound(props: { c: Context<Env_> }) {
  return (
    <Shell title="Alert not found">
      <p>{`Alert ${props.c.req.param("ns")}/${props.c.req.param("name")} does not exist.`}</p>
    </Shell>
  );
}

function Shell(props: { title: string; children: unknown }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · flux-relay`}</title>
        <link rel="stylesheet" href="/dashboard.css" />
        <script src="/dashboard/alert-preview.js" defer></script>
      </head>
      <body>
        <header>
          <p><a href="/">← flux-relay status</a></p>
          <h1>{props.title}</h1>
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

const LABELS: Record<Field, string> = { template: "Message template", titleTemplate: "Title template", bodyTemplate: "Body template (generic, generic-hmac: JSON)" };

function DetailPage(props: { alert: AlertManifest; form: FormState; result: AlertPreview | { error: string } }) {
  const { alert, form } = props;
  const id = `${alert.metadata.namespace}/${alert.metadata.name}`;
  return (
    <Shell title={`Alert ${id}`}>
      <section id="alert-templates" aria-labelledby="templates-h">
        <h2 id="templates-h">Templates and sample event</h2>
        <p class="muted">{`Provider ${alert.metadata.namespace}/${alert.spec.providerRef.name}. Edits here are only previewed; set the Alert's annotations (${TEMPLATE_ANNOTATION}, ${TITLE_TEMPLATE_ANNOTATION}, ${BODY_TEMPLATE_ANNOTATION}) to apply them.`}</p>
        <form id="preview-form" method="post" action={`/dashboard/alerts/${id}/preview`}>
          {(Object.keys(FIELDS) as Field[]).map((field) => (
            <p>
              <label for={field}>{LABELS[field]}</label>
              <br />
              <textarea id={field} name={field} rows={3} cols={100} spellcheck={false}>{form.templates[field]}</textarea>
            </p>
          ))}
          <p>
            <label for="cluster">Cluster</label> <input id="cluster" name="cluster" value={form.cluster} placeholder="prod-eu" />
          </p>
          <p>
            <label for="event">Event as a cluster posts it (empty: a sample event per severity)</label>
            <br />
            <textarea id="event" name="event" rows={16} cols={100} spellcheck={false}>{form.event}</textarea>
          </p>
          <p><button type="submit">Preview</button></p>
        </form>
      </section>
      <PreviewResult result={props.result} />
    </Shell>
  );
}

/** The preview section; /dashboard/alert-preview.js swaps it in place while the form is edited. */
function PreviewResult(props: { result: AlertPreview | { error: string } }) {
  const r = props.result;
  return (
    <section id="preview-result" aria-labelledby="preview-h" aria-live="polite">
      <h2 id="preview-h">Preview (nothing is sent)</h2>
      {"error" in r ? <p class="error" role="alert">{r.error}</p> : r.previews.map((p) => <OnePreview preview={p} provider={r.provider} />)}
    </section>
  );
}

function OnePreview(props: { preview: EventPreview; provider: AlertPreview["provider"] }) {
  const p = props.preview;
  const { kind, namespace, name } = p.event.involvedObject;
  return (
    <article class="preview" data-severity={p.event.severity}>
      <h3>{`${p.event.severity} event: ${kind}/${namespace}/${name} ${p.event.reason}`}</h3>
      <dl>
        <dt>Routing</dt>
        <dd>{p.matched ? "the Alert selects this event" : "the Alert does not select this event (sources, severity or lists)"}</dd>
        <dt>Noise control</dt>
        <dd class="noise">
          <span class={`badge ${p.noise.deliver ? "ok" : "bad"}`}>{p.noise.outcome}</span> {p.noise.reason}
        </dd>
        {p.template?.error ? (<><dt>Template</dt><dd class="error template-error">{p.template.error}</dd></>) : null}
        {p.template?.rendered?.title !== undefined ? (<><dt>Title</dt><dd class="rendered-title">{p.template.rendered.title}</dd></>) : null}
        {p.template?.rendered?.message !== undefined ? (<><dt>Message</dt><dd><pre class="rendered-message">{p.template.rendered.message}</pre></dd></>) : null}
        {p.skipped ? (<><dt>Skipped</dt><dd>{p.skipped}</dd></>) : null}
        {p.error ? (<><dt>Error</dt><dd class="error">{p.error}</dd></>) : null}
      </dl>
      {p.request ? (
        <div class="request">
          <h4>{`${props.provider.type ?? "provider"} request`}</h4>
          <pre class="request-line">{`${p.request.method} ${p.request.url}`}</pre>
          <pre class="request-headers">{Object.entries(p.request.headers).map(([k, v]) => `${k}: ${v}`).join("\n")}</pre>
          <pre class="request-body">{pretty(p.request.body)}</pre>
        </div>
      ) : null}
    </article>
  );
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/**
 * Live preview: after an edit settles, post the form to the same endpoint with `fragment=1` and
 * swap in the server-rendered preview. Without JavaScript the Preview button does the same.
 */
const PREVIEW_JS = `"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("preview-form");
  if (!form) return;
  let timer;
  let seq = 0;
  const refresh = async () => {
    const mine = ++seq;
    const res = await fetch(form.action + "?fragment=1", { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" });
    if (mine !== seq || !res.ok) return;
    const current = document.getElementById("preview-result");
    const next = new DOMParser().parseFromString(await res.text(), "text/html").getElementById("preview-result");
    if (current && next) current.replaceWith(next);
  };
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => refresh().catch(() => {}), 300);
  });
});
`;
