import { classifyServerError, connectCommand, NatsProtocolError, parseInfo, publishCommand, type NatsPublish, type NatsServer } from "./nats";
import type { Classification } from "./types";

/** The part of a `cloudflare:sockets` socket the client uses. */
export interface NatsSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  close(): Promise<void>;
  startTls(options?: { expectedServerHostname?: string }): NatsSocket;
}

/** `connect` of `cloudflare:sockets`; tests pass a scripted fake. */
export type SocketConnect = (address: { hostname: string; port: number }, options: { secureTransport: "starttls"; allowHalfOpen: boolean }) => NatsSocket;

/** Longest protocol line read (an INFO with a long cluster URL list stays far below). */
const MAX_LINE = 64 * 1024;

/**
 * Publishes one message as nats.go does for Flux (connect, CONNECT, PUB, then a PING whose PONG
 * says the server processed everything before it), within `timeoutMs` for the whole conversation.
 * The servers of the address are tried in order until one answers with INFO; a refused connection
 * or a timeout is retried later, a server's `-ERR` is classified by its text.
 */
export async function publishNats(publish: NatsPublish, body: string, timeoutMs: number, connect?: SocketConnect): Promise<Classification> {
  const open = connect ?? ((await import("cloudflare:sockets")).connect as unknown as SocketConnect);
  const sockets: NatsSocket[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<Classification>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: "retry", reason: `timeout: the NATS server did not confirm the publish within ${timeoutMs} ms (spec.timeout)` }), timeoutMs);
  });
  const conversation = async (): Promise<Classification> => {
    let last = "no server tried";
    for (const server of publish.servers) {
      const attempt = await publishTo(server, publish, body, open, sockets);
      if (!("unreachable" in attempt)) return attempt;
      last = attempt.unreachable;
    }
    return { outcome: "retry", reason: `connection error: ${last}` };
  };
  try {
    return await Promise.race([conversation(), deadline]);
  } finally {
    clearTimeout(timer);
    for (const socket of sockets) socket.close().catch(() => {});
  }
}

async function publishTo(
  server: NatsServer,
  publish: NatsPublish,
  body: string,
  open: SocketConnect,
  sockets: NatsSocket[],
): Promise<Classification | { unreachable: string }> {
  const where = `${server.hostname}:${server.port}`;
  let socket: NatsSocket;
  let lines: LineReader;
  let infoLine: string;
  try {
    socket = open({ hostname: server.hostname, port: server.port }, { secureTransport: "starttls", allowHalfOpen: false });
    sockets.push(socket);
    lines = new LineReader(socket.readable.getReader());
    infoLine = await lines.next();
  } catch (err) {
    return { unreachable: `${where}: ${message(err)}` };
  }
  try {
    const info = parseInfo(infoLine);
    if (server.tls && !info.tls_required && !info.tls_available) {
      return { outcome: "permanent", reason: `NATS server ${where} offers no TLS, but the address asks for tls://` };
    }
    const secure = server.tls || info.tls_required === true;
    if (secure) {
      lines.release();
      socket = socket.startTls({ expectedServerHostname: server.hostname });
      sockets.push(socket);
      lines = new LineReader(socket.readable.getReader());
    }
    const payload = new TextEncoder().encode(body);
    if (info.max_payload !== undefined && payload.byteLength > info.max_payload) {
      return { outcome: "permanent", reason: `NATS server error: maximum payload exceeded (${payload.byteLength} bytes, the server accepts ${info.max_payload})` };
    }
    const writer = socket.writable.getWriter();
    await writer.write(new TextEncoder().encode(await connectCommand(info, server, publish.auth, secure)));
    await writer.write(publishCommand(publish.subject, payload));
    for (;;) {
      const line = await lines.next();
      if (line === "PONG") return { outcome: "delivered" };
      if (line.startsWith("-ERR")) return classifyServerError(line);
      if (line === "PING") await writer.write(new TextEncoder().encode("PONG\r\n"));
      // +OK (verbose servers) and INFO updates need no answer.
    }
  } catch (err) {
    if (err instanceof NatsProtocolError) return { outcome: "permanent", reason: `NATS protocol error from ${where}: ${err.message}` };
    return { outcome: "retry", reason: `connection error: ${where}: ${message(err)}` };
  }
}

/** CRLF-terminated lines of a byte stream. */
class LineReader {
  private buffer = "";
  private readonly decoder = new TextDecoder();

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  async next(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf("\r\n");
      if (end >= 0) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return line;
      }
      if (this.buffer.length > MAX_LINE) throw new NatsProtocolError(`a line longer than ${MAX_LINE} bytes`);
      const { done, value } = await this.reader.read();
      if (done) throw new Error("the server closed the connection");
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** Lets go of the stream (before a TLS upgrade takes it over). */
  release(): void {
    this.reader.releaseLock();
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
