import type { Child } from "hono/jsx";
import type { InvalidEntry } from "../config/store";
import type { DeadLetter, DeliveryRecord } from "../delivery/provider-object";
import type { Condition } from "../delivery/status";
import type { AlertManifest } from "../flux/manifests";
import type { ProviderView } from "./views";

/**
 * The status page's markup. Everything shown comes from manifests, events or destinations' answers
 * and is escaped by hono/jsx (raw() is never used); styling lives in /dashboard.css so the CSP can
 * forbid inline styles and scripts altogether.
 */

export interface DashboardData {
  providers: ProviderView[];
  alerts: { alert: AlertManifest; conditions: Omit<Condition, "lastTransitionTime">[] }[];
  deliveries: (DeliveryRecord & { provider: string })[];
  deadLetters: (DeadLetter & { provider: string })[];
  invalid: InvalidEntry[];
  flash?: string;
  now: number;
}

function Layout(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/dashboard.css" />
      </head>
      <body>{props.children}</body>
    </html>
  );
}

export function LoginPage(props: { error?: string }) {
  return (
    <Layout title="flux-relay: sign in">
      <main class="login">
        <h1>flux-relay</h1>
        <form method="post" action="/login">
          <label for="token">Admin token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
          <button type="submit">Sign in</button>
        </form>
        {props.error ? <p class="error" role="alert">{props.error}</p> : null}
      </main>
    </Layout>
  );
}

export function MessagePage(props: { title: string; message: string }) {
  return (
    <Layout title={props.title}>
      <main class="login">
        <h1>{props.title}</h1>
        <p>{props.message}</p>
        <p><a href="/">Back to the status page</a></p>
      </main>
    </Layout>
  );
}

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z") : "never");

function span(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

function ago(ms: number | null | undefined, now: number): string {
  return ms ? `${span(Math.max(0, Math.round((now - ms) / 1000)))} ago` : "";
}

function inFuture(ms: number, now: number): string {
  return ms - now < 1000 ? "now" : `in ${span(Math.round((ms - now) / 1000))}`;
}

function ReadyCell(props: { conditions: Omit<Condition, "lastTransitionTime">[] }) {
  const ready = props.conditions.find((c) => c.type === "Ready");
  if (!ready) return <td>unknown</td>;
  const good = ready.status === "True";
  return (
    <td class="ready">
      <span class={good ? "badge ok" : "badge bad"}>{good ? "Ready" : "Not ready"}</span>{" "}
      <span class="reason">{ready.reason}</span>
      {good ? null : <div class="message">{ready.message}</div>}
    </td>
  );
}

/** One POST form per action: no script, and the Origin header proves it came from this page. */
function Action(props: { provider: string; action: string; label: string; ids?: number[]; danger?: boolean }) {
  const [namespace, name] = props.provider.split("/");
  return (
    <form method="post" action={`/dashboard/providers/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${props.action}`} class="inline">
      {props.ids ? <input type="hidden" name="ids" value={props.ids.join(",")} /> : null}
      <button type="submit" class={props.danger ? "danger" : undefined} data-action={props.action} data-provider={props.provider}>{props.label}</button>
    </form>
  );
}

function ProvidersTable(props: { providers: ProviderView[]; now: number }) {
  if (props.providers.length === 0) return <p class="empty">No providers. PUT one with the admin API or `npm run import`.</p>;
  return (
    <table id="providers">
      <thead>
        <tr><th>Provider</th><th>Type</th><th>Ready</th><th>Suspended</th><th>Queue</th><th>Last delivery</th><th>Last error</th><th>Counters</th><th>Actions</th></tr>
      </thead>
      <tbody>
        {props.providers.map((p) => {
          const id = `${p.metadata.namespace}/${p.metadata.name}`;
          const s = p.status;
          const suspended = p.spec.suspend || s.suspended;
          return (
            <tr data-provider={id}>
              <td class="name">{id}</td>
              <td>{p.spec.type}</td>
              <ReadyCell conditions={s.conditions} />
              <td>{suspended ? (p.spec.suspend ? "yes (spec.suspend)" : "yes") : "no"}</td>
              <td class="num">
                {s.queueDepth}
                {s.queueDepth > 0 && s.nextAttemptAt ? <div class="message" title={iso(s.nextAttemptAt)}>{suspended ? "paused" : `next try ${inFuture(s.nextAttemptAt, props.now)}`}</div> : null}
              </td>
              <td title={iso(s.lastDeliveryAt)}>{s.lastDeliveryAt ? ago(s.lastDeliveryAt, props.now) : "never"}</td>
              <td class="message">{s.lastError ? `${ago(s.lastError.at, props.now)}: ${s.lastError.message}` : ""}</td>
              <td class="counters">
                <div>{`${s.counters.delivered} delivered`}</div>
                <div>{`${s.counters.retried} retried`}</div>
                <div>{`${s.counters.deadLettered} dead`}</div>
                {s.counters.dropped > 0 ? <div>{`${s.counters.dropped} dropped`}</div> : null}
              </td>
              <td class="actions">
                {s.suspended ? <Action provider={id} action="resume" label="Resume" /> : <Action provider={id} action="suspend" label="Suspend" />}
                <Action provider={id} action="test" label="Test" />
                {s.deadLetters > 0 ? <Action provider={id} action="replay" label={`Replay ${s.deadLetters} dead`} /> : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function AlertsTable(props: { alerts: DashboardData["alerts"] }) {
  if (props.alerts.length === 0) return <p class="empty">No alerts.</p>;
  return (
    <table id="alerts">
      <thead>
        <tr><th>Alert</th><th>Provider</th><th>Severity</th><th>Sources</th><th>Ready</th></tr>
      </thead>
      <tbody>
        {props.alerts.map(({ alert, conditions }) => (
          <tr data-alert={`${alert.metadata.namespace}/${alert.metadata.name}`}>
            <td class="name">{`${alert.metadata.namespace}/${alert.metadata.name}`}{alert.spec.suspend ? " (suspended)" : ""}</td>
            <td>{alert.spec.providerRef.name}</td>
            <td>{alert.spec.eventSeverity}</td>
            <td class="message">{alert.spec.eventSources.map((s) => `${s.kind}/${s.namespace ? `${s.namespace}/` : ""}${s.name}`).join(", ")}</td>
            <ReadyCell conditions={conditions} />
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DeliveriesTable(props: { deliveries: DashboardData["deliveries"]; now: number }) {
  if (props.deliveries.length === 0) return <p class="empty">No delivery attempts yet.</p>;
  return (
    <table id="deliveries">
      <thead>
        <tr><th>When</th><th>Provider</th><th>Alert</th><th>Event</th><th>Attempt</th><th>Outcome</th><th>HTTP</th><th>Latency</th><th>Error</th></tr>
      </thead>
      <tbody>
        {props.deliveries.map((d) => (
          <tr>
            <td class="when" title={iso(d.at)}>{ago(d.at, props.now)}</td>
            <td>{d.provider}</td>
            <td>{d.alert ?? ""}</td>
            <td class="message">{d.summary}</td>
            <td class="num">{d.attempt}</td>
            <td><span class={`outcome ${d.outcome}`}>{d.outcome}</span></td>
            <td class="num">{d.status ?? ""}</td>
            <td class="num">{`${d.latencyMs} ms`}</td>
            <td class="message">{d.error ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DeadLettersTable(props: { deadLetters: DashboardData["deadLetters"] }) {
  if (props.deadLetters.length === 0) return <p class="empty">No dead letters.</p>;
  return (
    <table id="deadletters">
      <thead>
        <tr><th>Provider</th><th>Failed</th><th>Attempts</th><th>Alert</th><th>Event</th><th>Reason</th><th>Actions</th></tr>
      </thead>
      <tbody>
        {props.deadLetters.map((d) => (
          <tr>
            <td>{d.provider}</td>
            <td>{iso(d.failedAt)}</td>
            <td class="num">{d.attempts}</td>
            <td>{d.alert ?? ""}</td>
            <td class="message">{d.summary}</td>
            <td class="message">{d.reason}</td>
            <td class="actions">
              <Action provider={d.provider} action="replay" label="Replay" ids={[d.id]} />
              <Action provider={d.provider} action="discard" label="Discard" ids={[d.id]} danger />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DashboardPage(props: DashboardData) {
  const notReady = props.providers.filter((p) => !p.status.conditions.some((c) => c.type === "Ready" && c.status === "True")).length;
  const queued = props.providers.reduce((n, p) => n + p.status.queueDepth, 0);
  const dead = props.providers.reduce((n, p) => n + p.status.deadLetters, 0);
  return (
    <Layout title="flux-relay status">
      <header>
        <h1>flux-relay</h1>
        <p class="summary">
          {`${props.providers.length} providers (${notReady} not ready), ${props.alerts.length} alerts, ${queued} queued, ${dead} dead letters`}
        </p>
        <form method="post" action="/logout" class="inline logout"><button type="submit">Sign out</button></form>
      </header>
      <main>
        {props.flash ? <p class="flash" role="status">{props.flash}</p> : null}
        {props.invalid.length > 0 ? (
          <section>
            <h2>Invalid manifests</h2>
            <ul class="invalid">
              {props.invalid.map((i) => <li><code>{i.key}</code>: {i.details.join("; ")}</li>)}
            </ul>
          </section>
        ) : null}
        <section>
          <h2>Providers</h2>
          <ProvidersTable providers={props.providers} now={props.now} />
        </section>
        <section>
          <h2>Alerts</h2>
          <AlertsTable alerts={props.alerts} />
        </section>
        <section>
          <h2>Recent deliveries</h2>
          <DeliveriesTable deliveries={props.deliveries} now={props.now} />
        </section>
        <section>
          <h2>Dead letters</h2>
          <DeadLettersTable deadLetters={props.deadLetters} />
        </section>
      </main>
    </Layout>
  );
}

export const DASHBOARD_CSS = `
:root { color-scheme: light; --bad: #b42318; --ok: #067647; --muted: #5d6b82; --line: #d9dee7; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; color: #1d2433; background: #f6f7f9; }
header { display: flex; align-items: baseline; gap: 1.5rem; padding: 0.8rem 1.5rem; background: #1d2433; color: #fff; }
header h1 { margin: 0; font-size: 1.2rem; }
header .summary { margin: 0; color: #c5cbd6; flex: 1; }
main { padding: 1rem 1.5rem 3rem; }
h2 { font-size: 1rem; margin: 1.5rem 0 0.5rem; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); }
section { overflow-x: auto; }
th { background: #eef1f5; font-weight: 600; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; }
td.name { font-weight: 600; white-space: nowrap; }
.message { color: var(--muted); font-size: 0.85rem; overflow-wrap: anywhere; max-width: 36rem; }
td.when { white-space: nowrap; }
td.counters { font-size: 0.85rem; color: var(--muted); white-space: nowrap; }
.badge { display: inline-block; padding: 0 0.45rem; border-radius: 0.6rem; font-size: 0.8rem; font-weight: 600; color: #fff; }
.badge.ok { background: var(--ok); }
.badge.bad { background: var(--bad); }
.reason { font-weight: 600; }
.outcome.delivered, .outcome.test { color: var(--ok); }
.outcome.retry { color: #b54708; }
.outcome.dead-letter { color: var(--bad); font-weight: 600; }
form.inline { display: inline; margin: 0 0.25rem 0.25rem 0; }
td.actions { white-space: nowrap; }
button { font: inherit; padding: 0.2rem 0.6rem; border: 1px solid #98a2b3; border-radius: 4px; background: #fff; cursor: pointer; }
button:hover { background: #eef1f5; }
button.danger { border-color: var(--bad); color: var(--bad); }
.logout button { background: transparent; color: #fff; border-color: #5d6b82; }
.flash { padding: 0.6rem 0.8rem; background: #e8f1fd; border: 1px solid #9ec5fe; border-radius: 4px; }
.empty { color: var(--muted); }
.error { color: var(--bad); }
.invalid { color: var(--bad); }
.login { max-width: 22rem; margin: 5rem auto; padding: 2rem; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
.login form { display: grid; gap: 0.6rem; }
.login input { font: inherit; padding: 0.4rem; }
`;
