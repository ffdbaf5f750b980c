import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import type { ResultRow } from "./e2e-kit";
import { buildRelayBundle, LOG_DIR } from "./wrangler-dev";

const LOG_RETENTION_MS = 24 * 3600_000;

/**
 * Once per e2e/faults run: bundles the Worker for every `wrangler dev` of the run, and at the end
 * prints the table of delivery numbers the scenarios reported.
 */
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), "flux-relay-e2e-"));
  const bundle = path.join(dir, "bundle");
  const results = path.join(dir, "results.jsonl");
  await writeFile(results, "");
  await pruneLogs();
  const started = Date.now();
  await buildRelayBundle(bundle);
  console.log(`[e2e] worker bundled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide("relayBundle", bundle);
  project.provide("resultsFile", results);
  return async () => {
    const rows = (await readFile(results, "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as ResultRow);
    if (rows.length > 0) console.log(`\n${summaryTable(rows)}\n`);
    if (!process.env.E2E_KEEP_STATE) await rm(dir, { recursive: true, force: true });
  };
}

function summaryTable(rows: ResultRow[]): string {
  const header = ["scenario", "acked", "delivered", "duplicates", "attempts", "p50 latency", "max latency", "note"];
  const cells = rows.map((r) => [r.scenario, String(r.acknowledged), String(r.delivered), String(r.duplicates), String(r.attempts), `${r.p50LatencyMs} ms`, `${r.maxLatencyMs} ms`, r.note ?? ""]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 || i === c.length - 1 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ").trimEnd();
  return ["delivery summary", line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

/** Wrangler logs are named by test process, so they pile up; a day is enough for a post-mortem. */
async function pruneLogs(): Promise<void> {
  const names = await readdir(LOG_DIR).catch(() => [] as string[]);
  for (const name of names) {
    const file = path.join(LOG_DIR, name);
    // Another run may prune the same file first.
    const info = await stat(file).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > LOG_RETENTION_MS) await rm(file, { force: true });
  }
}
