import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
/** Per-run wrangler output, kept for post-mortems (test/artifacts is git-ignored). */
export const LOG_DIR = path.join(ROOT, "test/artifacts/wrangler");

export const E2E_INGRESS_KEY = "e2e-ingress-key";
export const E2E_ADMIN_TOKEN = "e2e-admin-token";

/** Short retry timings so outages and recoveries fit in seconds; KV read on every request. */
export const DEFAULT_VARS: Record<string, string> = {
  RETRY_MIN_SECONDS: "0.5",
  RETRY_MAX_SECONDS: "2",
  CONFIG_TTL_SECONDS: "0",
  DEMO_INBOX: "true",
};

// A loaded 2-core machine needs a while for wrangler's own start plus the first isolate compile.
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_TAIL_LINES = 4000;

/**
 * Sits between the test process and wrangler, in a process group of its own with wrangler and
 * workerd. When the test process dies without cleaning up (crash, SIGKILL, vitest timeout), its
 * stdin pipe closes and it SIGKILLs the whole group, so no wrangler outlives the run.
 */
const WATCHDOG = `
const { spawn } = require("node:child_process");
const child = spawn(process.argv[1], process.argv.slice(2), { stdio: ["ignore", "inherit", "inherit"] });
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
const killGroup = () => process.kill(0, "SIGKILL");
process.stdin.on("end", killGroup);
process.stdin.on("error", killGroup);
process.stdin.resume();
`;

const live = new Set<number>();
process.once("exit", () => {
  for (const pgid of live) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

export interface RelayOptions {
  /** Names log files and log lines. */
  label: string;
  /** The bundle built once per run by the global setup (see e2e-setup.ts). */
  bundleDir: string;
  /** `--var` overrides on top of DEFAULT_VARS. */
  vars?: Record<string, string>;
  /** Secret bindings written to a generated env file, on top of INGRESS_KEYS and ADMIN_TOKEN. */
  secrets?: Record<string, string>;
}

/**
 * Builds the Worker once with wrangler's own bundler (`deploy --dry-run`), so every `wrangler dev`
 * of the run serves the same code: others editing src/ mid-run cannot trigger wrangler's file-watch
 * reload, which would restart workerd under a test.
 */
export async function buildRelayBundle(outDir: string): Promise<void> {
  const log: string[] = [];
  const child = spawn(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", outDir], {
    cwd: ROOT,
    env: childEnv(path.join(outDir, "..", "wrangler-logs")),
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d: Buffer) => log.push(d.toString()));
  child.stderr.on("data", (d: Buffer) => log.push(d.toString()));
  const code = await exitCode(child, START_TIMEOUT_MS);
  if (code !== 0) throw new Error(`wrangler deploy --dry-run failed (${code}):\n${log.join("")}`);
}

/**
 * One `wrangler dev` in local mode on 127.0.0.1 with its own persistence directory. It can be
 * killed (SIGKILL: the crash case) and restarted on the same port and state, as a real crash and
 * restart would.
 */
export class WranglerDev {
  readonly url: string;
  private child?: ChildProcess;
  private closed?: Promise<void>;
  private lines: string[] = [];
  private logFile?: WriteStream;
  private starts = 0;

  private constructor(
    private readonly opts: RelayOptions,
    private readonly dir: string,
    readonly port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(opts: RelayOptions): Promise<WranglerDev> {
    const dir = await mkdtemp(path.join(tmpdir(), `flux-relay-${opts.label}-`));
    const config = (await readFile(path.join(ROOT, "wrangler.toml"), "utf8")).replace(/^main = .*$/m, `main = ${JSON.stringify(path.join(opts.bundleDir, "index.js"))}`);
    if (!config.includes(opts.bundleDir)) throw new Error("wrangler.toml has no `main = ...` line to point at the bundle");
    await writeFile(path.join(dir, "wrangler.toml"), config);
    const secrets = { INGRESS_KEYS: E2E_INGRESS_KEY, ADMIN_TOKEN: E2E_ADMIN_TOKEN, ...opts.secrets };
    await writeFile(path.join(dir, "secrets.env"), envFile(secrets), { mode: 0o600 });
    await mkdir(LOG_DIR, { recursive: true });
    const logFile = createWriteStream(path.join(LOG_DIR, `${opts.label}-${process.pid}.log`), { flags: "a" });
    for (let attempt = 1; ; attempt++) {
      const relay = new WranglerDev(opts, dir, await freePort());
      relay.logFile = logFile;
      try {
        await relay.launch();
        return relay;
      } catch (err) {
        // A port picked free can be taken by a parallel suite before wrangler binds it: new ports.
        if (attempt < START_ATTEMPTS && isPortTaken(err)) {
          relay.note(`a port was taken before wrangler bound it; starting again on new ports (attempt ${attempt + 1})`);
          if (relay.child) await relay.signal("SIGKILL");
          continue;
        }
        await relay.dispose();
        throw err;
      }
    }
  }

  /**
   * The instance's own directory: its wrangler.toml, `state/` (local KV and Durable Objects) and
   * `secrets.env`, for tools that write there as a user would (`npm run import -- --local`).
   */
  get directory(): string {
    return this.dir;
  }

  /** Where this instance's wrangler output goes (complete, unlike logTail). */
  get logPath(): string {
    return path.join(LOG_DIR, `${this.opts.label}-${process.pid}.log`);
  }

  private async launch(): Promise<void> {
    this.starts += 1;
    const vars = { ...DEFAULT_VARS, ...this.opts.vars };
    const args = [
      WRANGLER, "dev", "-c", path.join(this.dir, "wrangler.toml"), "--no-bundle", "--local",
      "--ip", "127.0.0.1", "--port", String(this.port), "--inspector-port", String(await freePort()),
      "--persist-to", path.join(this.dir, "state"), "--env-file", path.join(this.dir, "secrets.env"),
      "--show-interactive-dev-session=false",
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ];
    this.note(`starting wrangler dev (start #${this.starts}) on ${this.url}`);
    const child = spawn(process.execPath, ["-e", WATCHDOG, process.execPath, ...args], {
      cwd: this.dir,
      env: childEnv(path.join(this.dir, "wrangler-logs")),
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child = child;
    live.add(child.pid!);
    const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
    this.closed = exited.then(() => {
      live.delete(child.pid!);
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = "";
      stream.on("data", (d: Buffer) => {
        const text = partial + d.toString();
        const parts = text.split("\n");
        partial = parts.pop() ?? "";
        for (const line of parts) this.note(line);
      });
    }
    let gone = false;
    void exited.then(() => (gone = true));
    const started = Date.now();
    const deadline = started + START_TIMEOUT_MS;
    for (;;) {
      if (gone) throw new Error(`wrangler dev (${this.opts.label}) exited before it was ready:\n${this.logTail(80)}`);
      if (Date.now() > deadline) throw new Error(`wrangler dev (${this.opts.label}) not ready within ${START_TIMEOUT_MS} ms:\n${this.logTail(80)}`);
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
        await res.text();
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    this.note(`ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  /** SIGKILLs wrangler and workerd at once, as a crash would: no shutdown code runs. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.signal(signal);
  }

  /** Stops gracefully (SIGTERM), then SIGKILL if it does not stop in time. */
  async stop(): Promise<void> {
    await this.signal("SIGTERM");
  }

  /** Starts again on the same port and persistence directory (after kill or stop). */
  async restart(): Promise<void> {
    if (this.child) await this.kill();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.launch();
        return;
      } catch (err) {
        // The killed process may hold the port a moment longer; the port itself must stay.
        if (attempt >= START_ATTEMPTS || !isPortTaken(err)) throw err;
        if (this.child) await this.signal("SIGKILL");
        await sleep(1000);
      }
    }
  }

  /** Stops the process group and deletes the instance's temporary files (the log file stays). */
  async dispose(): Promise<void> {
    if (this.child) await this.signal("SIGKILL");
    this.logFile?.end();
    if (!process.env.E2E_KEEP_STATE) await rm(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.note(`sending ${signal} to the process group`);
    sendToGroup(child.pid!, signal);
    if (!(await within(this.closed!, STOP_TIMEOUT_MS)) && signal !== "SIGKILL") {
      sendToGroup(child.pid!, "SIGKILL");
      await within(this.closed!, STOP_TIMEOUT_MS);
    }
    // The group may outlive the pipe by a moment; a restart needs the port back.
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while ((await listening(this.port)) && Date.now() < deadline) await sleep(100);
    this.child = undefined;
  }

  /** The last lines wrangler printed, with the harness's own notes. */
  logTail(lines = 200): string {
    return this.lines.slice(-lines).join("\n");
  }

  private note(line: string): void {
    // workerd colours warnings whatever NO_COLOR says; escape codes only garble log files.
    const stamped = `${new Date().toISOString()} [${this.opts.label}] ${line.replace(/\x1b\[[0-9;]*m/g, "")}`;
    this.lines.push(stamped);
    if (this.lines.length > LOG_TAIL_LINES) this.lines.splice(0, this.lines.length - LOG_TAIL_LINES);
    // Output can trail a stop that timed out, after dispose closed the file.
    if (this.logFile?.writable) this.logFile.write(`${stamped}\n`);
  }

  /** Any request to the relay, bounded in time. */
  request(pathname: string, init: RequestInit = {}, timeoutMs = 30_000): Promise<Response> {
    return fetch(`${this.url}${pathname}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  }

  /** The admin API (`/api/v1`), JSON in and out; throws with the relay's error body on non-2xx. */
  async admin<T = unknown>(pathname: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
    const body = init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body);
    const res = await this.request(`/api/v1${pathname}`, {
      method: init.method ?? (body === undefined ? "GET" : "POST"),
      headers: { authorization: `Bearer ${E2E_ADMIN_TOKEN}`, "content-type": "application/json" },
      body,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? "GET"} /api/v1${pathname}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** POSTs one event to /hook/<cluster> signed like Flux's generic-hmac provider. */
  async hook(cluster: string, event: unknown, key = E2E_INGRESS_KEY): Promise<{ status: number; body: { accepted?: number; duplicate?: boolean; error?: string } }> {
    const text = JSON.stringify(event);
    const res = await this.request(`/hook/${cluster}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature": `sha256=${createHmac("sha256", key).update(text).digest("hex")}` },
      body: text,
    });
    const body = await res.text();
    return { status: res.status, body: body ? JSON.parse(body) : {} };
  }
}

/**
 * Values in single quotes are taken literally by the dotenv parser wrangler uses, except that
 * dotenv-expand then substitutes `$NAME`: such values are refused rather than silently changed.
 */
function envFile(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => {
      if (/['\n$]/.test(v)) throw new Error(`secret ${k}: the env file cannot carry quotes, newlines or $; use JSON on one line`);
      return `${k}='${v}'\n`;
    })
    .join("");
}

/** The environment a user's shell would give wrangler: no test-runner variables, no network calls. */
function childEnv(logDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_PATH: logDir,
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  for (const key of Object.keys(env)) if (key === "NODE_ENV" || key.startsWith("VITEST")) delete (env as Record<string, unknown>)[key];
  return env;
}

function sendToGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
  }
}

function exitCode(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve(null);
    }, timeoutMs);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = await Promise.race([p.then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A port the kernel just handed out and released: free unless someone races for it. */
/** Starts of one wrangler dev before a port collision is reported as a failure. */
const START_ATTEMPTS = 3;

function isPortTaken(err: unknown): boolean {
  return err instanceof Error && err.message.includes("Address already in use");
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
