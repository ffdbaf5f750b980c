import type { Child } from "hono/jsx";
import {
  lastHours, OUTCOMES, plural, span,
  type AttemptRow, type ClusterRow, type DashboardData, type DeadLetterRow, type DeliveryFilter, type ProviderRow, type ProviderState, type SilenceRow,
} from "./dashboard-data";
import { ExpireSilenceButton, objectOfSummary, SilenceFormFor } from "./dashboard-silences";
import { alignHours, Sparkline } from "./dashboard-sparkline";

/**
 * The status page's markup. Everything shown comes from manifests, events or destinations' answers
 * and is escaped by hono/jsx (raw() is never used); styling lives in /dashboard.css and the
 * optional refresh in /dashboard.js, so the CSP can forbid inline styles and scripts altogether.
 * The page is complete without the script: every action is a plain form, every filter a GET form.
 */

function Layout(props: { title: string; children: Child; script?: boolean }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/dashboard.css" />
        {props.script ? <script src="/dashboard.js" defer></script> : null}
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
          <label for="token">Admin or read token</label>
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

/** "5 min ago" with the exact time on hover. */
function Ago(props: { at: number | null; now: number; never?: string }) {
  if (!props.at) return <span class="muted">{props.never ?? "never"}</span>;
  return <time datetime={iso(props.at)} title={iso(props.at)}>{`${span(props.now - props.at)} ago`}</time>;
}

function inFuture(ms: number, now: number): string {
  return ms - now < 1000 ? "now" : `in ${span(ms - now)}`;
}

const STATE_CLASS: Record<ProviderState, string> = { Ready: "ok", Degraded: "bad", Stalled: "bad", Suspended: "warn" };

/** Colour and word together: the state must read the same without colour. */
function StateBadge(props: { state: ProviderState }) {
  return <span class={`badge ${STATE_CLASS[props.state]}`}>{props.state}</span>;
}

/** One POST form per action: the Origin header proves it came from this page. */
function Action(props: { provider: string; action: string; label: string; title?: string; ids?: number[]; danger?: boolean }) {
  const [namespace, name] = props.provider.split("/");
  return (
    <form method="post" action={`/dashboard/providers/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${props.action}`} class="inline">
      {props.ids ? <input type="hidden" name="ids" value={props.ids.join(",")} /> : null}
      <button type="submit" class={props.danger ? "danger" : undefined} title={props.title} data-action={props.action} data-provider={props.provider}>{props.label}</button>
    </form>
  );
}

/** What the destination answered: the recorded error names the HTTP status itself when there was one. */
function answer(a: AttemptRow): string {
  if (a.error) return a.status === null || a.error.includes(String(a.status)) ? a.error : `HTTP ${a.status}: ${a.error}`;
  return a.status === null ? "" : `HTTP ${a.status}`;
}

function Latency(props: { ms: number | null }) {
  return props.ms === null ? <span class="muted" title="no request reached the network">—</span> : <>{`${props.ms} ms`}</>;
}

function Attention(props: { data: DashboardData }) {
  const items = props.data.attention;
  return (
    <nav class="attention" aria-label="Needs attention now">
      {items.length === 0
        ? <p class="chip ok">All clear: every provider Ready, no dead letters, no silent cluster</p>
        : <ul>{items.map((i) => <li><a class={`chip ${i.severity}`} href={i.href}>{i.text}</a></li>)}</ul>}
    </nav>
  );
}

function ClustersPanel(props: { clusters: DashboardData["clusters"]; now: number }) {
  const { clusters, now } = props;
  const hours = lastHours(now);
  return (
    <section id="clusters" aria-labelledby="clusters-h">
      <h2 id="clusters-h">{`Clusters (${clusters.items.length})`}</h2>
      {!clusters.available ? <p class="empty">No per-cluster intake data on this version of the relay.</p>
        : clusters.items.length === 0 ? <p class="empty">No cluster has sent an event yet.</p>
        : (
          <table class="cards">
            <thead>
              <tr><th>Cluster</th><th>Last event</th><th>Events per hour, 24 h</th><th>Accepted</th><th>Duplicates</th><th>Unmatched</th><th>Invalid</th><th>Backlog</th></tr>
            </thead>
            <tbody>{clusters.items.map((c) => <ClusterRowView cluster={c} hours={hours} now={now} silentAfterMinutes={clusters.silentAfterMinutes} />)}</tbody>
          </table>
        )}
    </section>
  );
}

function ClusterRowView(props: { cluster: ClusterRow; hours: number[]; now: number; silentAfterMinutes: number }) {
  const c = props.cluster;
  const accepted = alignHours(props.hours, c.hourly, (h) => h.accepted);
  const other = alignHours(props.hours, c.hourly, (h) => h.duplicate + h.unmatched + h.invalid);
  const day = accepted.reduce((a, b) => a + b, 0);
  return (
    <tr id={`cluster-${c.name}`} data-cluster={c.name} class={c.silent ? "silent" : undefined}>
      <td class="name" data-label="Cluster">
        {c.name}
        {c.silent ? <> <span class="badge warn" title={`no event for more than ${props.silentAfterMinutes} min (CLUSTER_SILENT_MINUTES)`}>Silent</span></> : null}
        {c.lastError ? <div class="message">{`${span(props.now - c.lastError.at)} ago: ${c.lastError.message}`}</div> : null}
      </td>
      <td data-label="Last event"><Ago at={c.lastEventAt} now={props.now} never="no event yet" /></td>
      <td data-label="Events per hour"><Sparkline series={[{ class: "spark-info", values: accepted }, { class: "spark-muted", values: other }]} label={`${plural(day, "event")} accepted in 24 h`} /></td>
      <td class="num" data-label="Accepted">{c.counts.accepted}</td>
      <td class="num" data-label="Duplicates">{c.counts.duplicate}</td>
      <td class="num" data-label="Unmatched">{c.counts.unmatched}</td>
      <td class="num" data-label="Invalid">{c.counts.invalid}</td>
      <td class="num" data-label="Backlog">{c.backlog}</td>
    </tr>
  );
}

function ProvidersPanel(props: { providers: ProviderRow[]; now: number; canWrite: boolean }) {
  const hours = lastHours(props.now);
  return (
    <section id="providers" aria-labelledby="providers-h">
      <h2 id="providers-h">{`Providers (${props.providers.length})`}</h2>
      {props.providers.length === 0 ? <p class="empty">No providers. PUT one with the admin API or `npm run import`.</p> : (
        <table class="cards">
          <thead>
            <tr><th>Provider</th><th>State</th><th>Deliveries and failures per hour, 24 h</th><th>Latency p50 / p99</th><th>Queue</th><th>Dead letters</th><th>Last delivery</th>{props.canWrite ? <th>Actions</th> : null}</tr>
          </thead>
          <tbody>{props.providers.map((p) => <ProviderRowView provider={p} hours={hours} now={props.now} canWrite={props.canWrite} />)}</tbody>
        </table>
      )}
    </section>
  );
}

function ProviderRowView(props: { provider: ProviderRow; hours: number[]; now: number; canWrite: boolean }) {
  const p = props.provider;
  const delivered = alignHours(props.hours, p.hourly, (h) => h.delivered);
  const failed = alignHours(props.hours, p.hourly, (h) => h.failed);
  return (
    <tr id={`provider-${p.id}`} data-provider={p.id} data-state={p.state}>
      <td class="name" data-label="Provider">{p.id}<div class="muted small">{p.type}</div></td>
      <td class="state" data-label="State">
        <StateBadge state={p.state} /> <span class="reason">{p.reason}</span>
        {p.state === "Ready" ? null : <div class="message">{p.message}</div>}
        {p.lastError && p.state !== "Ready" && p.lastError.message !== p.message ? <div class="message">{`last error ${span(props.now - p.lastError.at)} ago: ${p.lastError.message}`}</div> : null}
      </td>
      <td data-label="Per hour">
        <Sparkline series={[{ class: "spark-ok", values: delivered }, { class: "spark-bad", values: failed }]} label={`${plural(delivered.reduce((a, b) => a + b, 0), "delivery", "deliveries")} and ${plural(failed.reduce((a, b) => a + b, 0), "failure")} in 24 h`} />
        <div class="muted small">{`${p.counters.delivered} delivered, ${p.counters.retried} retried, ${p.counters.deadLettered} dead-lettered in total`}</div>
      </td>
      <td class="num" data-label="p50 / p99">{p.latency ? `${p.latency.p50Ms} / ${p.latency.p99Ms} ms` : <span class="muted">—</span>}</td>
      <td class="num" data-label="Queue">
        {p.queueDepth}
        {p.queueDepth > 0 && p.nextAttemptAt ? <div class="message" title={iso(p.nextAttemptAt)}>{p.state === "Suspended" ? "paused" : `next try ${inFuture(p.nextAttemptAt, props.now)}`}</div> : null}
        {p.queueDepth > 0 && p.oldestQueuedAt ? <div class="message">{`oldest ${span(props.now - p.oldestQueuedAt)}`}</div> : null}
      </td>
      <td class="num" data-label="Dead letters">{p.deadLetters > 0 ? <a href="#deadletters" class="bad-text">{p.deadLetters}</a> : "0"}</td>
      <td data-label="Last delivery"><Ago at={p.lastDeliveryAt} now={props.now} /></td>
      {props.canWrite ? (
        <td class="actions" data-label="Actions">
          <div class="actions">
            {p.suspendedByApi ? <Action provider={p.id} action="resume" label="Resume" /> : <Action provider={p.id} action="suspend" label="Suspend" />}
            <Action provider={p.id} action="test" label="Test" title="send a marked test event now" />
            {p.deadLetters > 0 ? <Action provider={p.id} action="replay" label={`Replay ${p.deadLetters}`} title={`replay ${plural(p.deadLetters, "dead letter")}`} /> : null}
          </div>
        </td>
      ) : null}
    </tr>
  );
}

function DeadLettersPanel(props: { deadLetters: DashboardData["deadLetters"]; providers: ProviderRow[]; now: number; canWrite: boolean }) {
  const { items, total } = props.deadLetters;
  const owners = props.providers.filter((p) => p.deadLetters > 0);
  return (
    <section id="deadletters" aria-labelledby="deadletters-h">
      <h2 id="deadletters-h">{`Dead letters (${total})`}</h2>
      {total === 0 ? <p class="empty">No dead letters.</p> : (
        <>
          {props.canWrite ? (
            <ul class="bulk">
              {owners.map((p) => (
                <li>
                  <span class="name">{p.id}</span>{` ${plural(p.deadLetters, "dead letter")} `}
                  <Action provider={p.id} action="replay" label="Replay all" title={`move ${plural(p.deadLetters, "dead letter")} back to the outbox`} />
                  <Action provider={p.id} action="discard" label="Discard all" danger />
                </li>
              ))}
            </ul>
          ) : null}
          {items.length < total ? <p class="muted small">{`The ${items.length} most recent are shown.`}</p> : null}
          <div class="letters">{items.map((d) => <DeadLetterView letter={d} now={props.now} canWrite={props.canWrite} />)}</div>
        </>
      )}
    </section>
  );
}

function DeadLetterView(props: { letter: DeadLetterRow; now: number; canWrite: boolean }) {
  const d = props.letter;
  return (
    <details class="letter" id={`deadletter-${d.provider}-${d.id}`} data-provider={d.provider} data-id={d.id}>
      <summary>
        <span class="badge bad">dead-lettered</span> <Ago at={d.failedAt} now={props.now} />{" "}
        <span class="name">{d.summary}</span> <span class="muted">{`→ ${d.provider}`}</span>
        <div class="message">{d.reason}</div>
      </summary>
      <dl class="facts">
        {d.event ? <><dt>Object</dt><dd>{`${d.event.kind}/${d.event.namespace}/${d.event.name}`}</dd></> : null}
        <dt>Cluster</dt><dd>{d.cluster || <span class="muted">none (test send)</span>}</dd>
        <dt>Alert</dt><dd>{d.alert ?? <span class="muted">none</span>}</dd>
        {d.event ? <><dt>Severity, reason</dt><dd>{`${d.event.severity}, ${d.event.reason}`}</dd><dt>Message</dt><dd class="pre">{d.event.message}</dd></> : null}
        <dt>Queued</dt><dd><Ago at={d.enqueuedAt} now={props.now} /></dd>
        <dt>Attempts</dt><dd>{d.attempts}</dd>
        <dt>Reason</dt><dd class="pre">{d.reason}</dd>
      </dl>
      {d.event && Object.keys(d.event.metadata).length > 0 ? (
        <table class="kv">
          <caption>Metadata</caption>
          <tbody>{Object.entries(d.event.metadata).map(([k, v]) => <tr><th scope="row">{k}</th><td>{v}</td></tr>)}</tbody>
        </table>
      ) : null}
      {d.history ? <AttemptsTable attempts={d.history} now={props.now} /> : <p class="muted small">The attempts of this letter are in the deliveries below (filter by provider).</p>}
      {props.canWrite ? (
        <div class="actions">
          <Action provider={d.provider} action="replay" label="Replay" ids={[d.id]} />
          <Action provider={d.provider} action="discard" label="Discard" ids={[d.id]} danger />
          <SilenceFormFor cluster={d.cluster} object={d.event ?? objectOfSummary(d.summary)} now={props.now} />
        </div>
      ) : null}
    </details>
  );
}

function AttemptsTable(props: { attempts: AttemptRow[]; now: number }) {
  return (
    <table class="cards attempts">
      <caption>Attempts</caption>
      <thead><tr><th>#</th><th>When</th><th>Outcome</th><th>Answer</th><th>Latency</th></tr></thead>
      <tbody>
        {props.attempts.map((a) => (
          <tr>
            <td class="num" data-label="#">{a.attempt}</td>
            <td data-label="When"><Ago at={a.at} now={props.now} /></td>
            <td data-label="Outcome"><span class={`outcome ${a.outcome}`}>{a.outcome}</span></td>
            <td class="message" data-label="Answer">{answer(a)}</td>
            <td class="num" data-label="Latency"><Latency ms={a.latencyMs} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Query string of the page for a filter (empty values left out). */
export function filterQuery(filter: DeliveryFilter, page = filter.page): string {
  const q = new URLSearchParams();
  if (filter.cluster) q.set("cluster", filter.cluster);
  if (filter.provider) q.set("provider", filter.provider);
  if (filter.outcome) q.set("outcome", filter.outcome);
  if (page > 1) q.set("page", String(page));
  const s = q.toString();
  return s ? `?${s}` : "";
}

function DeliveriesPanel(props: { deliveries: DashboardData["deliveries"]; now: number }) {
  const { items, filter, hasMore, clusters, providers } = props.deliveries;
  const filtered = !!(filter.cluster || filter.provider || filter.outcome);
  return (
    <section id="deliveries" aria-labelledby="deliveries-h">
      <h2 id="deliveries-h">Deliveries</h2>
      <form method="get" action="/#deliveries" class="filters">
        <label>Cluster <select name="cluster"><option value="">all</option>{clusters.map((c) => <option value={c} selected={c === filter.cluster}>{c || "(test sends)"}</option>)}</select></label>
        <label>Provider <select name="provider"><option value="">all</option>{providers.map((p) => <option value={p} selected={p === filter.provider}>{p}</option>)}</select></label>
        <label>Outcome <select name="outcome"><option value="">all</option>{OUTCOMES.map((o) => <option value={o} selected={o === filter.outcome}>{o}</option>)}</select></label>
        <button type="submit">Filter</button>
        {filtered ? <a href="/#deliveries">Clear</a> : null}
      </form>
      {items.length === 0 ? <p class="empty">{filtered ? "No delivery attempt matches this filter." : "No delivery attempts yet."}</p> : (
        <table class="cards" id="deliveries-table">
          <thead>
            <tr><th>When</th><th>Provider</th><th>Cluster</th><th>Event</th><th>Attempt</th><th>Outcome</th><th>Answer</th><th>Latency</th></tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr data-outcome={d.outcome}>
                <td class="when" data-label="When"><Ago at={d.at} now={props.now} /></td>
                <td data-label="Provider">{d.provider}</td>
                <td data-label="Cluster">{d.cluster || <span class="muted">(test)</span>}</td>
                <td class="message" data-label="Event">{d.summary}{d.alert ? <div class="muted small">{`alert ${d.alert}`}</div> : null}</td>
                <td class="num" data-label="Attempt">{d.attempt}</td>
                <td data-label="Outcome"><span class={`outcome ${d.outcome}`}>{d.outcome}</span>{d.test ? <span class="muted small"> (test)</span> : null}</td>
                <td class="message" data-label="Answer">{answer(d)}</td>
                <td class="num" data-label="Latency"><Latency ms={d.latencyMs} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Delivery pages">
        {filter.page > 1 ? <a href={`/${filterQuery(filter, filter.page - 1)}#deliveries`} rel="prev">← Newer</a> : null}
        <span class="muted">{`page ${filter.page}`}</span>
        {hasMore ? <a href={`/${filterQuery(filter, filter.page + 1)}#deliveries`} rel="next">Older →</a> : null}
      </nav>
    </section>
  );
}

function SilencesPanel(props: { silences: SilenceRow[]; now: number; canWrite: boolean }) {
  const { silences, now } = props;
  return (
    <section id="silences" aria-labelledby="silences-h">
      <h2 id="silences-h">{`Active silences (${silences.length})`}</h2>
      {silences.length === 0 ? <p class="empty">No active silence (POST /api/v1/silences creates one).</p> : (
        <ul class="silences">
          {silences.map((s) => (
            <li id={`silence-${s.id}`} data-silence={s.id}>
              <code>{s.matchers}</code>{` ends in ${span(s.endsAt - now)}`}
              <div class="message">{`${s.createdBy ? `by ${s.createdBy}` : ""}${s.createdBy && s.comment ? ": " : ""}${s.comment}`}</div>
              {props.canWrite ? <ExpireSilenceButton id={s.id} /> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function AlertsPanel(props: { alerts: DashboardData["alerts"] }) {
  return (
    <section id="alerts" aria-labelledby="alerts-h">
      <h2 id="alerts-h">{`Alerts (${props.alerts.length})`}</h2>
      {props.alerts.length === 0 ? <p class="empty">No alerts.</p> : (
        <table class="cards">
          <thead><tr><th>Alert</th><th>Provider</th><th>Severity</th><th>Sources</th><th>Ready</th></tr></thead>
          <tbody>
            {props.alerts.map((a) => {
              const ready = a.conditions.find((c) => c.type === "Ready");
              const good = ready?.status === "True";
              return (
                <tr data-alert={a.id}>
                  <td class="name" data-label="Alert"><a href={`/dashboard/alerts/${a.id}`} title="templates and preview">{a.id}</a>{a.suspended ? <span class="muted"> (suspended)</span> : null}</td>
                  <td data-label="Provider">{a.provider}</td>
                  <td data-label="Severity">{a.severity}</td>
                  <td class="message" data-label="Sources">{a.sources}</td>
                  <td class="state" data-label="Ready">
                    <span class={`badge ${good ? "ok" : "bad"}`}>{good ? "Ready" : "Not ready"}</span> <span class="reason">{ready?.reason ?? "Unknown"}</span>
                    {good || !ready ? null : <div class="message">{ready.message}</div>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The part of the page that /dashboard.js refreshes in place (GET /dashboard/live). */
export function LiveSections(props: { data: DashboardData }) {
  const d = props.data;
  return (
    <div id="live">
      <Attention data={d} />
      {d.invalid.length > 0 ? (
        <section id="invalid" aria-labelledby="invalid-h">
          <h2 id="invalid-h">{`Invalid manifests (${d.invalid.length})`}</h2>
          <ul class="invalid">{d.invalid.map((i) => <li><code>{i.key}</code>: {i.details.join("; ")}</li>)}</ul>
        </section>
      ) : null}
      <ClustersPanel clusters={d.clusters} now={d.now} />
      <ProvidersPanel providers={d.providers} now={d.now} canWrite={d.canWrite} />
      <DeadLettersPanel deadLetters={d.deadLetters} providers={d.providers} now={d.now} canWrite={d.canWrite} />
      <SilencesPanel silences={d.silences} now={d.now} canWrite={d.canWrite} />
      <DeliveriesPanel deliveries={d.deliveries} now={d.now} />
      <AlertsPanel alerts={d.alerts} />
      <p class="muted small updated">{`As of ${iso(d.now)}`}</p>
    </div>
  );
}

export function DashboardPage(props: { data: DashboardData }) {
  const d = props.data;
  const queued = d.providers.reduce((n, p) => n + p.queueDepth, 0);
  return (
    <Layout title="flux-relay status" script>
      <header class="top">
        <h1>flux-relay</h1>
        <p class="summary">{`${plural(d.providers.length, "provider")} · ${plural(d.clusters.items.length, "cluster")} · ${plural(d.alerts.length, "alert")} · ${queued} queued`}</p>
        <div class="controls">
          <span id="refresh-state" class="small" aria-live="polite"></span>
          <button type="button" id="refresh-toggle" hidden>Pause refresh</button>
          <form method="post" action="/logout" class="inline logout"><button type="submit">Sign out</button></form>
        </div>
      </header>
      <main>
        {d.flash ? <p class="flash" role="status">{d.flash}</p> : null}
        {d.canWrite ? null : <p class="muted small">Read-only session: actions need the admin token.</p>}
        <LiveSections data={d} />
      </main>
    </Layout>
  );
}
