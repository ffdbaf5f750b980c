import { spawn, type ChildProcess } from "node:child_process";
import { access, constants, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { aptInstall } from "./apt";
import { freePort, sleep } from "./wrangler-dev";

/** Debian's package installs the binary under this name (upstream calls it `alertmanager`). */
const CANDIDATES = ["prometheus-alertmanager", "alertmanager"];
const PACKAGE = "prometheus-alertmanager";
const START_TIMEOUT_MS = 30_000;

// One route to a receiver that notifies nobody: the test only reads alerts back over the API.
const CONFIG = `route:
  receiver: blackhole
receivers:
  - name: blackhole
`;

/** An alert as `GET /api/v2/alerts` lists it (the fields the tests read). */
export interface ListedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

async function executable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function findBinary(): Promise<string | undefined> {
  if (process.env.ALERTMANAGER_BIN) return process.env.ALERTMANAGER_BIN;
  const dirs = (process.env.PATH ?? "").split(path.delimiter).concat("/usr/bin", "/usr/local/bin");
  for (const name of CANDIDATES) for (const dir of dirs) if (dir && (await executable(path.join(dir, name)))) return path.join(dir, name);
  return undefined;
}

/**
 * The Alertmanager binary, installed from Debian's package when absent. Only the e2e run calls
 * this: installing needs root and the package mirror, which `npm test` must not depend on.
 */
export async function ensureAlertmanager(): Promise<string> {
  const found = await findBinary();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(`no Alertmanager binary (${CANDIDATES.join(" or ")}) and not root: install the ${PACKAGE} package, or set ALERTMANAGER_BIN`);
  }
  const started = Date.now();
  aptInstall([PACKAGE]);
  const installed = await findBinary();
  if (!installed) throw new Error(`apt-get installed ${PACKAGE} but no ${CANDIDATES.join(" or ")} binary is on the PATH`);
  console.log(`[alertmanager] installed ${PACKAGE} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return installed;
}

/** A throw-away Alertmanager on 127.0.0.1: its own port, config and storage, gossip off. */
export class Alertmanager {
  private output: string[] = [];
  private exited?: Promise<void>;

  private constructor(
    readonly url: string,
    private readonly dir: string,
    private child?: ChildProcess,
  ) {}

  static async start(binary: string): Promise<Alertmanager> {
    const dir = await mkdtemp(path.join(tmpdir(), "flux-relay-alertmanager-"));
    await writeFile(path.join(dir, "alertmanager.yml"), CONFIG);
    const port = await freePort();
    const child = spawn(
      binary,
      [
        `--config.file=${path.join(dir, "alertmanager.yml")}`,
        `--storage.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // An empty address turns clustering off; otherwise it binds 0.0.0.0:9094 and gossips.
        "--cluster.listen-address=",
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const am = new Alertmanager(`http://127.0.0.1:${port}`, dir, child);
    for (const stream of [child.stdout, child.stderr]) stream.on("data", (d: Buffer) => am.output.push(d.toString()));
    am.exited = new Promise((resolve) => child.once("close", () => resolve()));
    process.once("exit", () => child.kill("SIGKILL"));
    try {
      await am.waitReady();
    } catch (err) {
      await am.stop();
      throw err;
    }
    return am;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let gone = false;
    void this.exited?.then(() => (gone = true));
    for (;;) {
      if (gone) throw new Error(`Alertmanager exited before it was ready:\n${this.log()}`);
      try {
        const res = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(2000) });
        await res.text();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`Alertmanager not ready within ${START_TIMEOUT_MS} ms:\n${this.log()}`);
      await sleep(100);
    }
  }

  /** What the process printed (warnings and errors only). */
  log(): string {
    return this.output.join("");
  }

  /** `GET /api/v2/alerts` with label matchers such as `name="apps"`. */
  async alerts(...filters: string[]): Promise<ListedAlert[]> {
    const query = new URLSearchParams(filters.map((f) => ["filter", f]));
    const res = await fetch(`${this.url}/api/v2/alerts?${query}`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`GET /api/v2/alerts: ${res.status} ${await res.text()}`);
    return (await res.json()) as ListedAlert[];
  }

  async stop(): Promise<void> {
    if (this.child) {
      this.child.kill("SIGTERM");
      const stopped = await Promise.race([this.exited!.then(() => true), sleep(5000).then(() => false)]);
      if (!stopped) this.child.kill("SIGKILL");
      this.child = undefined;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
