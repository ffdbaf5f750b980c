import { spawn, type ChildProcess } from "node:child_process";
import { access, constants, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, sleep } from "./wrangler-dev";
import { aptInstall } from "./apt";

const PACKAGE = "nats-server";
const START_TIMEOUT_MS = 20_000;

async function findBinary(): Promise<string | undefined> {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  const dirs = (process.env.PATH ?? "").split(path.delimiter).concat("/usr/sbin", "/usr/bin", "/usr/local/bin");
  for (const dir of dirs) {
    const file = path.join(dir, "nats-server");
    if (dir && (await access(file, constants.X_OK).then(() => true, () => false))) return file;
  }
  return undefined;
}

/** The nats-server binary, installed from Debian's package when absent (e2e runs only; see ./apt.ts). */
export async function ensureNatsServer(): Promise<string> {
  const found = await findBinary();
  if (found) return found;
  aptInstall([PACKAGE]);
  const installed = await findBinary();
  if (!installed) throw new Error(`apt-get installed ${PACKAGE} but no nats-server binary is on the PATH`);
  return installed;
}

/** A throw-away nats-server on 127.0.0.1 with its own port and configuration (`authorization` block or none). */
export class NatsServer {
  private output: string[] = [];

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private child?: ChildProcess,
  ) {}

  static async start(binary: string, authorization = ""): Promise<NatsServer> {
    const dir = await mkdtemp(path.join(tmpdir(), "flux-relay-nats-"));
    const port = await freePort();
    await writeFile(path.join(dir, "nats.conf"), `listen: "127.0.0.1:${port}"\n${authorization}\n`);
    const child = spawn(binary, ["-c", path.join(dir, "nats.conf")], { stdio: ["ignore", "pipe", "pipe"] });
    const server = new NatsServer(port, dir, child);
    for (const stream of [child.stdout, child.stderr]) stream.on("data", (d: Buffer) => server.output.push(d.toString()));
    process.once("exit", () => child.kill("SIGKILL"));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!server.log().includes("Server is ready")) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await server.stop();
        throw new Error(`nats-server did not start:\n${server.log()}`);
      }
      await sleep(50);
    }
    return server;
  }

  log(): string {
    return this.output.join("");
  }

  async stop(): Promise<void> {
    this.child?.kill("SIGTERM");
    this.child = undefined;
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A received message: subject and payload. */
export interface NatsMessage {
  subject: string;
  payload: string;
}

/**
 * A minimal subscriber over plain TCP (INFO, CONNECT, SUB, PING/PONG, MSG): enough to read back
 * what the relay published, independent of the relay's own client.
 */
export class NatsSubscriber {
  readonly messages: NatsMessage[] = [];
  private buffer = Buffer.alloc(0);
  private ponged?: () => void;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
  }

  static async subscribe(port: number, subject: string, credentials: Record<string, string> = {}): Promise<NatsSubscriber> {
    const socket = connect({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const subscriber = new NatsSubscriber(socket);
    const ready = new Promise<void>((resolve) => (subscriber.ponged = resolve));
    socket.write(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, ...credentials })}\r\nSUB ${subject} 1\r\nPING\r\n`);
    await Promise.race([ready, sleep(5000).then(() => Promise.reject(new Error("no PONG from nats-server for the subscriber")))]);
    return subscriber;
  }

  private drain(): void {
    for (;;) {
      const end = this.buffer.indexOf("\r\n");
      if (end < 0) return;
      const line = this.buffer.subarray(0, end).toString();
      if (line.startsWith("MSG ")) {
        const parts = line.split(" ");
        const size = Number(parts[parts.length - 1]);
        if (this.buffer.length < end + 2 + size + 2) return;
        this.messages.push({ subject: parts[1], payload: this.buffer.subarray(end + 2, end + 2 + size).toString() });
        this.buffer = this.buffer.subarray(end + 2 + size + 2);
        continue;
      }
      this.buffer = this.buffer.subarray(end + 2);
      if (line === "PING") this.socket.write("PONG\r\n");
      if (line === "PONG") this.ponged?.();
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
