// Microbenchmark of every formatter in the notifier registry, in Node (the same V8 as workerd).
// Run by bench/run.ts in a child process (so `--cpu-prof` can be added); prints one JSON object.
import type { ProviderType } from "../src/flux/manifests";
import { implementedTypes, notifierFor } from "../src/notifiers/registry";
import type { NotifyContext } from "../src/notifiers/types";
import { withTemplates } from "../src/rules/message-template";
import { formatterCases, templatedCases } from "./formatter-cases";

const WARMUP_MS = 200;
const BATCHES = 15;
const BATCH_MS = 40;

async function run(format: (ctx: NotifyContext) => unknown, list: NotifyContext[], iterations: number): Promise<void> {
  for (let i = 0; i < iterations; i++) await format(list[i % list.length]);
}

async function measure(type: ProviderType) {
  const notifier = notifierFor(type)!;
  const { source, list } = formatterCases(type);
  return { type, source, ...(await time((ctx: NotifyContext) => notifier.format(ctx), list)) };
}

/** Timing of one formatting function over a list of contexts: median, min and max µs per event. */
async function time(format: (ctx: NotifyContext) => unknown, list: NotifyContext[]) {
  // Warm-up until the JIT has settled, then size batches to BATCH_MS so timer resolution is noise.
  let iterations = 0;
  const warmStart = performance.now();
  while (performance.now() - warmStart < WARMUP_MS) {
    await run(format, list, 50);
    iterations += 50;
  }
  const perBatch = Math.max(50, Math.round((iterations * BATCH_MS) / WARMUP_MS));
  const perEventUs: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    await run(format, list, perBatch);
    perEventUs.push(((performance.now() - t0) * 1000) / perBatch);
  }
  perEventUs.sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { cases: list.length, iterations: perBatch * BATCHES, medianUs: r(perEventUs[Math.floor(BATCHES / 2)]), minUs: r(perEventUs[0]), maxUs: r(perEventUs[BATCHES - 1]) };
}

/** Rendering the Alert's templates plus formatting, as a delivery attempt does (src/rules/message-template.ts). */
async function measureTemplated() {
  const out = [];
  for (const { name, type, list } of templatedCases()) {
    const notifier = notifierFor(type)!;
    out.push({ case: name, type, ...(await time((ctx) => notifier.format(withTemplates(ctx).ctx), list)) });
  }
  return out;
}

// `--templates` runs only the templated section; types named on the command line narrow the run
// (for profiling one formatter with --cpu-prof).
if (process.argv.includes("--templates")) {
  process.stdout.write(JSON.stringify({ node: process.version, results: [], templated: await measureTemplated() }));
  process.exit(0);
}
const only = process.argv.slice(2);
const results = [];
for (const type of implementedTypes()) {
  if (only.length > 0 && !only.includes(type)) continue;
  try {
    results.push(await measure(type));
  } catch (err) {
    // A type whose synthetic case it refuses is reported, not allowed to stop the whole run.
    results.push({ type, error: String(err).slice(0, 200) });
  }
}
process.stdout.write(JSON.stringify({ node: process.version, results, templated: only.length > 0 ? [] : await measureTemplated() }));
