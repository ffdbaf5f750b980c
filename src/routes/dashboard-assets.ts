/**
 * The status page's stylesheet and its one script, served by the Worker (`/dashboard.css`,
 * `/dashboard.js`) so the CSP can allow `'self'` and nothing inline.
 */

/**
 * Light and dark schemes follow the browser (prefers-color-scheme). Below 760 px every table turns
 * into cards (one row = one card, each cell labelled by its data-label), so a phone never scrolls
 * sideways.
 */
export const DASHBOARD_CSS = `
:root { color-scheme: light dark;
  --bg: #f6f7f9; --panel: #fff; --fg: #1d2433; --muted: #5d6b82; --line: #d9dee7; --head: #eef1f5;
  --ok: #067647; --ok-bg: #dcfae6; --bad: #b42318; --bad-bg: #fee4e2; --warn: #93370d; --warn-bg: #fef0c7;
  --info: #1d4ed8; --top: #1d2433; --top-fg: #fff; --top-muted: #c5cbd6; --link: #1d4ed8; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f131a; --panel: #171c25; --fg: #e4e8ef; --muted: #9aa5b8; --line: #2b3342; --head: #1f2632;
    --ok: #47cd89; --ok-bg: #0b3a24; --bad: #f97066; --bad-bg: #4a1512; --warn: #fdb022; --warn-bg: #4a2e05;
    --info: #84adff; --top: #0a0d12; --top-fg: #e4e8ef; --top-muted: #9aa5b8; --link: #84adff; }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4rem 1.5rem; padding: 0.7rem 1.5rem; background: var(--top); color: var(--top-fg); }
header.top h1 { margin: 0; font-size: 1.2rem; }
header.top .summary { margin: 0; color: var(--top-muted); flex: 1 1 16rem; }
header.top .controls { display: flex; align-items: center; gap: 0.5rem; flex-wrap: wrap; }
header.top .controls #refresh-state { color: var(--top-muted); }
header.top button { background: transparent; color: var(--top-fg); border-color: #5d6b82; }
header.top form.inline { margin: 0; }
main { padding: 1rem 1.5rem 3rem; max-width: 100rem; }
h2 { font-size: 1.05rem; margin: 1.6rem 0 0.5rem; }
section { scroll-margin-top: 1rem; }
table { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); }
caption { text-align: left; font-weight: 600; padding: 0.5rem 0 0.3rem; }
th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); }
th { background: var(--head); font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
td.when { white-space: nowrap; }
td.name, .name { font-weight: 600; overflow-wrap: anywhere; }
tr:target, details:target { outline: 2px solid var(--info); outline-offset: -2px; }
.message { color: var(--muted); font-size: 0.85rem; overflow-wrap: anywhere; max-width: 40rem; }
.muted { color: var(--muted); }
.small { font-size: 0.8rem; }
.bad-text { color: var(--bad); font-weight: 600; }
.badge { display: inline-block; padding: 0 0.5rem; border-radius: 0.6rem; font-size: 0.8rem; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.badge.ok { color: var(--ok); background: var(--ok-bg); }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.reason { font-weight: 600; overflow-wrap: anywhere; }
tr.silent td.name { color: var(--warn); }
.outcome { font-weight: 600; white-space: nowrap; }
.outcome.delivered, .outcome.checked { color: var(--ok); }
.outcome.retried, .outcome.dropped, .outcome.suppressed, .outcome.silenced, .outcome.skipped { color: var(--warn); }
.outcome.dead-lettered, .outcome.refused, .outcome.failed { color: var(--bad); }
.attention ul { list-style: none; display: flex; flex-wrap: wrap; gap: 0.4rem; margin: 0; padding: 0; }
.chip { display: inline-block; margin: 0; padding: 0.3rem 0.7rem; border-radius: 1rem; font-weight: 600; text-decoration: none; border: 1px solid currentColor; overflow-wrap: anywhere; }
.chip.bad { color: var(--bad); background: var(--bad-bg); }
.chip.warn { color: var(--warn); background: var(--warn-bg); }
.chip.ok { color: var(--ok); background: var(--ok-bg); }
.spark { display: block; max-width: 100%; height: auto; }
.spark-axis { stroke: var(--line); stroke-width: 1; }
.spark-ok { fill: var(--ok); }
.spark-bad { fill: var(--bad); }
.spark-info { fill: var(--info); }
.spark-muted { fill: var(--muted); }
form.inline { display: inline-block; margin: 0 0.25rem 0.25rem 0; }
div.actions { display: flex; flex-wrap: wrap; gap: 0.25rem; }
div.actions form.inline { margin: 0; }
button { font: inherit; color: var(--fg); padding: 0.2rem 0.6rem; border: 1px solid #98a2b3; border-radius: 4px; background: var(--panel); cursor: pointer; white-space: nowrap; }
button:hover { background: var(--head); }
button.danger { border-color: var(--bad); color: var(--bad); }
select { font: inherit; color: var(--fg); background: var(--panel); border: 1px solid #98a2b3; border-radius: 4px; padding: 0.15rem 0.3rem; max-width: 100%; }
.filters { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; margin: 0 0 0.6rem; }
.pager { display: flex; gap: 1rem; margin-top: 0.5rem; }
.silences { margin: 0; padding-left: 1.2rem; }
.silences li { margin-bottom: 0.3rem; overflow-wrap: anywhere; }
.silence-form label { display: block; margin: 0.2rem 0; }
.bulk { list-style: none; padding: 0; margin: 0 0 0.6rem; display: grid; gap: 0.3rem; }
.letters { display: grid; gap: 0.4rem; }
details.letter { background: var(--panel); border: 1px solid var(--line); border-left: 4px solid var(--bad); border-radius: 4px; padding: 0.4rem 0.7rem; }
details.letter summary { cursor: pointer; overflow-wrap: anywhere; }
details.letter[open] summary { margin-bottom: 0.5rem; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.2rem 1rem; margin: 0 0 0.5rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.pre { white-space: pre-wrap; }
table.kv th { width: 1%; white-space: nowrap; background: transparent; font-weight: 500; color: var(--muted); }
table.kv td { overflow-wrap: anywhere; }
.flash { padding: 0.6rem 0.8rem; background: var(--head); border: 1px solid var(--info); border-radius: 4px; }
.empty { color: var(--muted); }
.error, .invalid { color: var(--bad); }
.updated { margin-top: 2rem; }
.login { max-width: 22rem; margin: 5rem auto; padding: 2rem; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
.login form { display: grid; gap: 0.6rem; }
.login input { font: inherit; padding: 0.4rem; color: var(--fg); background: var(--bg); border: 1px solid #98a2b3; border-radius: 4px; }
@media (max-width: 760px) {
  header.top, main { padding-left: 0.75rem; padding-right: 0.75rem; }
  .login { margin: 2rem 0.75rem; padding: 1.25rem; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards { border: 0; background: transparent; }
  table.cards thead { display: none; }
  table.cards tr { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; margin-bottom: 0.5rem; padding: 0.3rem 0; }
  table.cards td { position: relative; border: 0; padding: 0.15rem 0.7rem 0.15rem 7.2rem; min-height: 1.6rem; text-align: left; white-space: normal; overflow-wrap: anywhere; }
  table.cards td[data-label]::before { content: attr(data-label); position: absolute; left: 0.7rem; width: 6.2rem; font-size: 0.8rem; line-height: 1.6; color: var(--muted); font-weight: 500; }
  table.cards td.name { padding-left: 0.7rem; }
  table.cards td.name::before { display: none; }
  table.cards td.num { text-align: left; }
  table.cards td .message { max-width: none; }
  dl.facts { grid-template-columns: minmax(0, 1fr); }
  dl.facts dd { margin-bottom: 0.3rem; }
}
`;

/**
 * Refreshes the live part of the page every REFRESH_SECONDS without a reload: fetches the same
 * page's fragment (`/dashboard/live` with the current filter) and swaps it in, keeping opened dead
 * letters open. Pausable (remembered for the tab); skipped while the tab is hidden or a filter is
 * being edited. Without it, the page is complete and a reload shows the same.
 */
export const REFRESH_SECONDS = 15;

export const DASHBOARD_JS = `"use strict";
(() => {
  const live = document.getElementById("live");
  const toggle = document.getElementById("refresh-toggle");
  const state = document.getElementById("refresh-state");
  if (!live || !toggle || !state) return;
  const KEY = "flux-relay-refresh";
  let paused = sessionStorage.getItem(KEY) === "paused";
  let busy = false;
  const show = () => {
    toggle.textContent = paused ? "Resume refresh" : "Pause refresh";
    toggle.setAttribute("aria-pressed", String(paused));
    if (paused) state.textContent = "refresh paused";
  };
  async function refresh() {
    const focused = document.activeElement;
    if (paused || busy || document.hidden || (focused && live.contains(focused) && focused.matches("select, input"))) return;
    busy = true;
    const open = [...live.querySelectorAll("details[open]")].map((d) => d.id);
    try {
      const res = await fetch("/dashboard/live" + location.search, { credentials: "same-origin", cache: "no-store" });
      if (res.status === 401) return location.reload();
      if (!res.ok) throw new Error("HTTP " + res.status);
      const next = new DOMParser().parseFromString(await res.text(), "text/html").getElementById("live");
      if (!next) throw new Error("no #live in the answer");
      for (const id of open) {
        const d = next.querySelector("#" + CSS.escape(id));
        if (d) d.open = true;
      }
      live.replaceChildren(...next.childNodes);
      if (!paused) state.textContent = "updated " + new Date().toLocaleTimeString();
    } catch (err) {
      state.textContent = "refresh failed (" + err.message + "), next try in ${REFRESH_SECONDS} s";
    } finally {
      busy = false;
    }
  }
  toggle.hidden = false;
  toggle.addEventListener("click", () => {
    paused = !paused;
    sessionStorage.setItem(KEY, paused ? "paused" : "running");
    show();
    if (!paused) refresh();
  });
  show();
  setInterval(refresh, ${REFRESH_SECONDS * 1000});
})();
`;
