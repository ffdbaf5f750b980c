/**
 * Sparklines as inline SVG drawn on the server: no script, no image request, and the CSP's
 * `default-src 'none'` stays intact (colours come from classes in /dashboard.css).
 */

const WIDTH = 120;
const HEIGHT = 28;

export interface Series {
  /** CSS class of the bars (`spark-ok`, `spark-bad`, `spark-info`). */
  class: string;
  values: number[];
}

/**
 * One bar per hour, series stacked bottom-up, scaled to the busiest hour. `label` is the
 * accessible text (the numbers a screen reader or a hover would want).
 */
export function Sparkline(props: { series: Series[]; label: string }) {
  const hours = Math.max(0, ...props.series.map((s) => s.values.length));
  const totals = Array.from({ length: hours }, (_, i) => props.series.reduce((n, s) => n + (s.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const step = WIDTH / Math.max(1, hours);
  const bar = Math.max(1, step - 1);
  const rects: { x: number; y: number; h: number; class: string }[] = [];
  for (let i = 0; i < hours; i++) {
    let base = HEIGHT;
    for (const s of props.series) {
      const v = s.values[i] ?? 0;
      if (v <= 0) continue;
      // At least one pixel, so a single failure in a busy hour still shows.
      const h = Math.max(1, Math.round((v / max) * (HEIGHT - 2)));
      base -= h;
      rects.push({ x: Math.round(i * step * 10) / 10, y: base, h, class: s.class });
    }
  }
  return (
    <svg class="spark" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img" aria-label={props.label}>
      <title>{props.label}</title>
      <line class="spark-axis" x1="0" y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} />
      {rects.map((r) => <rect class={r.class} x={r.x} y={r.y} width={bar} height={r.h} />)}
    </svg>
  );
}

/** Values of `hourly` aligned on `hours` (hour starts, oldest first); missing hours are 0. */
export function alignHours<T extends { hour: number }>(hours: number[], hourly: T[], pick: (row: T) => number): number[] {
  const byHour = new Map(hourly.map((row) => [row.hour, pick(row)]));
  return hours.map((h) => byHour.get(h) ?? 0);
}
