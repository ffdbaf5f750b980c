import { readdir, readFile } from "node:fs/promises";

/** The parts of a V8 CPU profile (`Profiler.stop`) the summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The inspector port of the `wrangler dev` serving `port`, read from its command line: the e2e
 * launcher picks a free one and does not expose it (Linux only, as is the rest of the bench).
 */
async function inspectorPortOf(port: number): Promise<number> {
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const args = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
    const at = args.indexOf("--port");
    const inspector = args.indexOf("--inspector-port");
    if (args.includes("dev") && at >= 0 && args[at + 1] === String(port) && inspector >= 0) return Number(args[inspector + 1]);
  }
  throw new Error(`no wrangler dev serving port ${port} found in /proc`);
}

/**
 * A sampling CPU profiler attached to the Worker's isolate through wrangler's inspector proxy.
 * The relay's Durable Objects run in the same isolate locally, so their time is included.
 */
export async function profileWorker(port: number, scriptName: string) {
  const inspector = await inspectorPortOf(port);
  const targets = (await (await fetch(`http://127.0.0.1:${inspector}/json`)).json()) as { id: string; title?: string; url?: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((t) => `${t.title ?? ""} ${t.url ?? ""} ${t.id}`.includes(scriptName)) ?? targets[0];
  if (!target) throw new Error(`the inspector on ${inspector} lists no targets`);
  // wrangler's inspector proxy only admits localhost origins; undici's WebSocket takes headers.
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://localhost" } } as unknown as string[]);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`cannot open ${target.webSocketDebuggerUrl}`)), { once: true });
  });
  let next = 0;
  const pending = new Map<number, (result: unknown) => void>();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  const call = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = ++next;
      const timer = setTimeout(() => reject(new Error(`inspector ${method} timed out`)), 60_000);
      pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result as T);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 200 });
  return {
    start: () => call("Profiler.start"),
    stop: async () => (await call<{ profile: CpuProfile }>("Profiler.stop")).profile,
    close: () => ws.close(),
  };
}

/**
 * Share of the isolate's busy samples per function: `self` where the sample was taken, `inclusive`
 * anywhere on its stack. Counted in samples, not by timeDeltas, which carry idle gaps over to
 * whatever runs next. `watch` names the functions whose inclusive share is always reported.
 */
export function summarizeProfile(profile: CpuProfile, watch: string[], top = 12) {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") continue;
    busy++;
    const label = frame.functionName || "(native)";
    self.set(label, (self.get(label) ?? 0) + 1);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) seen.add(byId.get(cur)!.callFrame.functionName);
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + 1);
  }
  const pct = (n: number) => Math.round((1000 * n) / Math.max(busy, 1)) / 10;
  return {
    samples: profile.samples.length,
    /** Samples in which the isolate ran code at all, of every sample taken. */
    busyPct: Math.round((1000 * busy) / Math.max(profile.samples.length, 1)) / 10,
    inclusivePct: Object.fromEntries(watch.filter((w) => inclusive.has(w)).map((w) => [w, pct(inclusive.get(w)!)])),
    topSelfPct: Object.fromEntries([...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, n]) => [fn, pct(n)])),
  };
}
