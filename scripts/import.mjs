// `npm run import -- [options] <file|-> ...`: Flux Providers, Alerts and Secrets (multi-document
// YAML, v1beta2 or v1beta3) into the relay's KV namespace (`wrangler kv bulk put`) and Worker
// secrets (`wrangler secret put`, or .dev.vars for --local), validated with the
// Worker's own zod schemas. Nothing is applied unless every document is valid.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
/** Where `npm run dev` (scripts/dev.mjs) keeps local KV and Durable Objects. */
const DEV_PERSIST_TO = ".wrangler/state";

const USAGE = `usage: npm run import -- [options] <file.yaml | -> ...

Reads Flux Provider, Alert and Secret manifests (multi-document YAML or JSON, kind: List too),
validates them, prints the plan, then writes Providers/Alerts to KV (binding CONFIG) and
Secrets as SECRET__<NAMESPACE>__<NAME>. Any invalid document: nothing is applied, exit code 1.

  --dry-run           validate and print the plan only
  --local             the local dev instance: KV under --persist-to (default ${DEV_PERSIST_TO},
                      as npm run dev), Secrets into .dev.vars (or .dev.vars.<env>)
  --remote            Cloudflare: wrangler kv key put --remote, wrangler secret put
  --env <name>        wrangler environment
  --config <path>     wrangler configuration file (default wrangler.toml)
  --persist-to <dir>  local persistence directory (with --local)
  --dev-vars <path>   file local Secrets are written to (with --local)
  --namespace <ns>    namespace of manifests that name none (default: default)
  --no-allowed-hosts  do not pin imported Secrets to the hosts of their Providers' addresses
`;

// The Worker's modules import each other without extensions (bundler resolution); Node needs them.
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (err) {
      if (!/^\.\.?\//.test(specifier) || !context.parentURL?.startsWith("file:")) throw err;
      return next(`${specifier}.ts`, context);
    }
  },
});
const { planImport, describePlan, updateDevVars } = await import(pathToFileURL(path.join(ROOT, "scripts/import-lib.ts")).href);

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean" },
      local: { type: "boolean" },
      remote: { type: "boolean" },
      env: { type: "string" },
      config: { type: "string" },
      "persist-to": { type: "string" },
      "dev-vars": { type: "string" },
      namespace: { type: "string", default: "default" },
      "no-allowed-hosts": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
} catch (err) {
  usage(err.message);
}
const opts = args.values;
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (args.positionals.length === 0) usage("no input: name one or more files, or - for standard input");
if (opts.local && opts.remote) usage("--local and --remote exclude each other");
if (!opts["dry-run"] && !opts.local && !opts.remote) usage("say where to apply: --local (the dev instance) or --remote (Cloudflare), or use --dry-run");
if (opts.remote && (opts["persist-to"] || opts["dev-vars"])) usage("--persist-to and --dev-vars only apply with --local");

const inputs = args.positionals.map((source) => ({ source, text: source === "-" ? readFileSync(0, "utf8") : readInput(source) }));
const plan = planImport(inputs, opts.namespace, { pinHosts: !opts["no-allowed-hosts"] });
const config = opts.config ?? "wrangler.toml";
const persistTo = opts["persist-to"] ?? DEV_PERSIST_TO;
const devVarsPath = opts["dev-vars"] ?? path.join(path.dirname(config), opts.env ? `.dev.vars.${opts.env}` : ".dev.vars");
const target = opts["dry-run"] ? "dry run" : opts.remote ? `remote${opts.env ? `, env ${opts.env}` : ""}` : `local: KV in ${persistTo}, secrets in ${devVarsPath}`;
process.stdout.write(describePlan(plan, target));

if (plan.problems.length > 0) {
  process.stdout.write("Nothing was applied: fix every problem above and run again.\n");
  process.exit(1);
}
if (opts["dry-run"]) {
  process.stdout.write("Dry run: nothing was applied.\n");
  process.exit(0);
}
if (plan.entries.length === 0) {
  process.stdout.write("Nothing to apply.\n");
  process.exit(0);
}

const common = ["--config", config, ...(opts.env ? ["--env", opts.env] : [])];
const scratch = mkdtempSync(path.join(tmpdir(), "flux-relay-import-"));
try {
  const manifests = plan.entries.filter((e) => e.kind !== "Secret");
  if (manifests.length > 0) {
    // One `kv bulk put` instead of a `kv key put` per manifest: each wrangler start costs seconds,
    // and values in a file cannot be mistaken for options (a manifest may start with `---`).
    const file = path.join(scratch, "manifests.json");
    writeFileSync(file, JSON.stringify(manifests.map((e) => ({ key: e.key, value: e.value }))));
    const where = opts.local ? ["--local", "--persist-to", persistTo] : ["--remote"];
    wrangler(["kv", "bulk", "put", file, "--binding", "CONFIG", ...where, ...common], manifests.map((e) => `kv ${e.key}`).join(", "));
  }
  const secrets = new Map();
  for (const entry of plan.entries) {
    if (entry.kind !== "Secret") continue;
    if (opts.local) secrets.set(entry.binding, entry.value);
    // The value goes through stdin: it never appears in argv (visible to `ps`) or in a file.
    else wrangler(["secret", "put", entry.binding, ...common], `secret ${entry.binding}`, entry.value);
  }
  if (secrets.size > 0) {
    const before = existsSync(devVarsPath) ? readFileSync(devVarsPath, "utf8") : "";
    writeFileSync(devVarsPath, updateDevVars(before, secrets), { mode: 0o600 });
    process.stdout.write(`wrote ${secrets.size} secret(s) to ${devVarsPath} (restart wrangler dev to load them)\n`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.stdout.write(`Applied ${plan.entries.length} item(s).\n`);

function wrangler(argv, what, input) {
  const res = spawnSync(process.execPath, [WRANGLER, ...argv], {
    input,
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    encoding: "utf8",
  });
  if (res.status !== 0) {
    process.stderr.write(`${what}: wrangler failed (exit ${res.status ?? res.signal})\n${res.stdout}${res.stderr}`);
    process.stderr.write("Stopped: the items above this one were applied, the rest were not.\n");
    process.exit(1);
  }
  process.stdout.write(`applied ${what}\n`);
}

function readInput(file) {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    usage(`cannot read ${file}: ${err.message}`);
  }
}

function usage(message) {
  process.stderr.write(`import: ${message}\n\n${USAGE}`);
  process.exit(2);
}
