import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, ROOT, sleep } from "../test/support/wrangler-dev";

const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const START_TIMEOUT_MS = 120_000;

/**
 * `wrangler dev` of a bench-only Worker (bench/bare-worker.ts, bench/durable-floor-worker.ts,
 * bench/format-worker.ts), with the
 * relay's compatibility date and flags copied from wrangler.toml so both run on identical runtime
 * settings. test/support/wrangler-dev.ts only serves the relay's own config, hence this launcher.
 */
export class BenchWorker {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  /** `config`: further wrangler.toml lines (bindings, migrations) the Worker needs. */
  static async start(label: string, main: string, config: string[] = []): Promise<BenchWorker> {
    const dir = await mkdtemp(path.join(tmpdir(), `flux-relay-bench-${label}-`));
    const relayConfig = await readFile(path.join(ROOT, "wrangler.toml"), "utf8");
    const compat = relayConfig.split("\n").filter((l) => /^compatibility_(date|flags)\s*=/.test(l));
    await writeFile(path.join(dir, "wrangler.toml"), [`name = "flux-relay-bench-${label}"`, `main = ${JSON.stringify(path.join(ROOT, main))}`, ...compat, ...config, ""].join("\n"));
    const port = await freePort();
    const args = [
      WRANGLER, "dev", "-c", path.join(dir, "wrangler.toml"), "--local", "--ip", "127.0.0.1", "--port", String(port),
      "--inspector-port", String(await freePort()), "--persist-to", path.join(dir, "state"), "--show-interactive-dev-session=false",
    ];
    // Its own process group, so stopping it also stops workerd.
    const child = spawn(process.execPath, args, {
      cwd: dir,
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG_PATH: path.join(dir, "logs"), NO_COLOR: "1" },
    });
    const stderr: string[] = [];
    child.stderr!.on("data", (d: Buffer) => stderr.push(d.toString()));
    const killGroup = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    };
    process.once("exit", killGroup);
    const worker = new BenchWorker(`http://127.0.0.1:${port}`, child, dir);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${label} worker exited before it was ready:\n${stderr.join("")}`);
      if (Date.now() > deadline) {
        await worker.stop();
        throw new Error(`${label} worker not ready within ${START_TIMEOUT_MS} ms:\n${stderr.join("")}`);
      }
      try {
        // Any answer from the Worker itself means workerd has loaded it.
        const res = await fetch(worker.url, { method: "POST", body: "[]", signal: AbortSignal.timeout(5_000) });
        await res.text();
        if (res.status < 500) return worker;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => (this.child.exitCode !== null ? resolve() : this.child.once("close", () => resolve())));
    try {
      process.kill(-this.child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
    await Promise.race([closed, sleep(10_000)]);
    await rm(this.dir, { recursive: true, force: true });
  }
}
