import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a destination received. */
export interface CapturedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds since the epoch when the request arrived. */
  at: number;
  /**
   * What the sender actually got: the status written, `hang-up`, or `client-gone` when the sender
   * closed the connection before a delayed answer (it timed out). Absent while the answer is pending.
   */
  answered?: number | "hang-up" | "client-gone";
}

/** A programmed answer: `times` answers are used up in order, the last one then repeats. */
export interface ProgrammedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (slow receivers, timeouts). */
  delayMs?: number;
  /** Destroy the socket instead of answering (connection closed mid-response). */
  hangUp?: boolean;
  times?: number;
}

interface Box {
  requests: CapturedRequest[];
  script: ProgrammedResponse[];
}

/**
 * A destination on 127.0.0.1 that records every request and answers as programmed. Each test
 * uses its own "box" (path prefix `/box/<id>/`), so tests and files never see each other's traffic.
 * Control API (JSON): `GET /_boxes/<id>` lists requests, `PUT /_boxes/<id>` sets the script,
 * `DELETE /_boxes/<id>` clears both. Tests in workerd reach it with fetch.
 */
export async function startCaptureServer(port = 0): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const boxes = new Map<string, Box>();
  const box = (id: string) => {
    let b = boxes.get(id);
    if (!b) boxes.set(id, (b = { requests: [], script: [] }));
    return b;
  };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://capture");
    const control = /^\/_boxes\/([^/]+)$/.exec(url.pathname);
    if (control) return handleControl(req.method ?? "GET", box(control[1]), control[1], body, res, boxes);
    const target = /^\/box\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const b = box(target ? target[1] : "_default");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : (v ?? "");
    const captured: CapturedRequest = { method: req.method ?? "", path: url.pathname + url.search, headers, body, at: Date.now() };
    b.requests.push(captured);
    const answer = nextAnswer(b);
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (answer.hangUp) {
      captured.answered = "hang-up";
      res.socket?.destroy();
      return;
    }
    if (!res.socket || res.socket.destroyed) {
      captured.answered = "client-gone";
      return;
    }
    captured.answered = answer.status;
    res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
    res.end(answer.body ?? "");
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    server,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function nextAnswer(b: Box): ProgrammedResponse {
  const head = b.script[0];
  if (!head) return { status: 200, body: "{}" };
  if (b.script.length > 1) {
    head.times = (head.times ?? 1) - 1;
    if (head.times <= 0) b.script.shift();
  }
  return head;
}

function handleControl(method: string, b: Box, id: string, body: string, res: ServerResponse, boxes: Map<string, Box>): void {
  if (method === "PUT") b.script = JSON.parse(body) as ProgrammedResponse[];
  if (method === "DELETE") boxes.delete(id);
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(method === "GET" ? b.requests : { ok: true }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
