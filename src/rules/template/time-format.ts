/**
 * Go's time.Format with a reference-time layout (https://pkg.go.dev/time#pkg-constants), in UTC:
 * `2006-01-02 15:04:05`, `Jan _2 15:04`, `Mon, 02 Jan 2006 15:04:05 MST`, `2006-01-02T15:04:05Z07:00`, ...
 */

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

// Longest first, as Go's nextStdChunk tries the longer element before its prefix.
const CHUNKS: [string, (d: Date) => string][] = [
  ["January", (d) => MONTHS[d.getUTCMonth()]],
  ["Monday", (d) => DAYS[d.getUTCDay()]],
  ["Z07:00", () => "Z"],
  ["-07:00", () => "+00:00"],
  ["Z0700", () => "Z"],
  ["-0700", () => "+0000"],
  ["2006", (d) => String(d.getUTCFullYear()).padStart(4, "0")],
  ["Jan", (d) => MONTHS[d.getUTCMonth()].slice(0, 3)],
  ["Mon", (d) => DAYS[d.getUTCDay()].slice(0, 3)],
  ["MST", () => "UTC"],
  ["Z07", () => "Z"],
  ["-07", () => "+00"],
  ["002", (d) => String(dayOfYear(d)).padStart(3, "0")],
  ["__2", (d) => String(dayOfYear(d)).padStart(3, " ")],
  ["01", (d) => two(d.getUTCMonth() + 1)],
  ["02", (d) => two(d.getUTCDate())],
  ["_2", (d) => String(d.getUTCDate()).padStart(2, " ")],
  ["03", (d) => two(hour12(d))],
  ["04", (d) => two(d.getUTCMinutes())],
  ["05", (d) => two(d.getUTCSeconds())],
  ["06", (d) => two(d.getUTCFullYear() % 100)],
  ["15", (d) => two(d.getUTCHours())],
  ["PM", (d) => (d.getUTCHours() >= 12 ? "PM" : "AM")],
  ["pm", (d) => (d.getUTCHours() >= 12 ? "pm" : "am")],
  ["1", (d) => String(d.getUTCMonth() + 1)],
  ["2", (d) => String(d.getUTCDate())],
  ["3", (d) => String(hour12(d))],
  ["4", (d) => String(d.getUTCMinutes())],
  ["5", (d) => String(d.getUTCSeconds())],
];

const FRACTION = /^[.,](0+|9+)(?!\d)/;

function two(n: number): string {
  return String(n).padStart(2, "0");
}

function hour12(d: Date): number {
  const h = d.getUTCHours() % 12;
  return h === 0 ? 12 : h;
}

function dayOfYear(d: Date): number {
  return Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

type Piece = string | ((d: Date) => string);

// Layouts parsed once: templates format every event with the same few layouts.
const compiledLayouts = new Map<string, Piece[]>();

function compileLayout(layout: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  outer: while (i < layout.length) {
    const rest = layout.slice(i);
    const fraction = FRACTION.exec(rest);
    if (fraction) {
      // .000 prints that many digits; .999 the same without trailing zeros (and no dot if none).
      const [separator, width, fixed] = [rest[0], fraction[1].length, fraction[1][0] === "0"];
      pieces.push((d) => {
        const digits = String(d.getUTCMilliseconds()).padStart(3, "0").padEnd(9, "0").slice(0, width);
        if (fixed) return separator + digits;
        const trimmed = digits.replace(/0+$/, "");
        return trimmed ? separator + trimmed : "";
      });
      i += fraction[0].length;
      continue;
    }
    for (const [chunk, render] of CHUNKS) {
      if (rest.startsWith(chunk)) {
        pieces.push(render);
        i += chunk.length;
        continue outer;
      }
    }
    pieces.push(layout[i]);
    i++;
  }
  return pieces;
}

/** Formats `ms` (UTC) with a Go layout. */
export function formatGoTime(layout: string, ms: number): string {
  let pieces = compiledLayouts.get(layout);
  if (!pieces) {
    pieces = compileLayout(layout);
    if (compiledLayouts.size >= 64) compiledLayouts.clear();
    compiledLayouts.set(layout, pieces);
  }
  const d = new Date(ms);
  let out = "";
  for (const piece of pieces) out += typeof piece === "string" ? piece : piece(d);
  return out;
}
