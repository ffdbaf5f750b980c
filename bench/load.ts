import autocannon from "autocannon";
import { createHmac } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

/** Latency percentiles (ms) of a set of samples, nearest rank. */
export interface Latency {
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

export function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
  const mean = sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length);
  return { p50: round(rank(50)), p99: round(rank(99)), mean: round(mean), max: round(sorted.at(-1) ?? Number.NaN) };
}

export const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Flux's generic-hmac signature over the exact body. */
export function sign(key: string, body: string): string {
  return `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  /** Completed requests per second of wall time. */
  rps: number;
  latencyMs: Latency;
  statuses: Record<string, number>;
  errors: number;
  /**
   * CPU time of every workerd process on the machine (the Worker's and wrangler's proxy) per
   * answered request, in ms: unlike req/s on a 2-core machine shared with the load generator, it
   * does not move with scheduling, so it is what tells two builds apart.
   */
  workerdCpuMsPerRequest: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds used so far by all workerd processes (Linux /proc; NaN elsewhere). */
function workerdCpuSeconds(): number {
  let ticks = 0;
  try {
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) !== "workerd") continue;
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // the process ended meanwhile
      }
    }
  } catch {
    return Number.NaN;
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/**
 * `amount` POSTs of distinct signed bodies over `connections` keep-alive connections. Latency
 * comes from every response (not autocannon's histogram, which is 2xx-only and whole-ms), so a
 * refused request is visible in `statuses` and sub-millisecond answers keep their resolution.
 */
export async function load(opts: { url: string; path: string; connections: number; amount: number; key: string; body: (i: number) => string; samples?: number[] }): Promise<LoadResult> {
  let next = 0;
  const samples: number[] = [];
  const statuses: Record<string, number> = {};
  const cpuBefore = workerdCpuSeconds();
  const started = performance.now();
  const instance = autocannon({
    url: opts.url,
    connections: opts.connections,
    amount: opts.amount,
    timeout: 30,
    requests: [{
      method: "POST",
      path: opts.path,
      setupRequest: (req) => {
        const body = opts.body(next++);
        return { ...req, body, headers: { ...req.headers, "content-type": "application/json", "x-signature": sign(opts.key, body) } };
      },
    }],
  });
  let lastAnswer = started;
  instance.on("response", (_client, status, _bytes, ms) => {
    samples.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
    lastAnswer = performance.now();
  });
  const result = await instance;
  // Until the last answer, not until autocannon resolves: it notices the end only at its next
  // one-second tick, which put up to a second on every run (4000 requests at about 600 req/s
  // measured 443, 497, 570 or 664 req/s by where the tick fell).
  const seconds = (lastAnswer - started) / 1000;
  opts.samples?.push(...samples);
  const workerdCpuMsPerRequest = round(((workerdCpuSeconds() - cpuBefore) * 1000) / Math.max(1, samples.length), 3);
  return { workerdCpuMsPerRequest, requests: samples.length, seconds: round(seconds), rps: round(samples.length / seconds, 1), latencyMs: latency(samples), statuses, errors: result.errors + result.timeouts };
}

/**
 * Several loads of one Worker as one result: requests over the summed seconds, latency over every
 * answer (`samples`, collected by `load`), CPU per request weighted by requests.
 */
export function combine(parts: LoadResult[], samples: number[]): LoadResult {
  const requests = parts.reduce((n, p) => n + p.requests, 0);
  const seconds = parts.reduce((n, p) => n + p.seconds, 0);
  const statuses: Record<string, number> = {};
  for (const p of parts) for (const [status, n] of Object.entries(p.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  return {
    requests,
    seconds: round(seconds),
    rps: round(requests / seconds, 1),
    latencyMs: latency(samples),
    statuses,
    errors: parts.reduce((n, p) => n + p.errors, 0),
    workerdCpuMsPerRequest: round(parts.reduce((n, p) => n + p.workerdCpuMsPerRequest * p.requests, 0) / Math.max(1, requests), 3),
  };
}
