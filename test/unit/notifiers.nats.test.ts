import { describe, expect, it } from "vitest";
import { problemMessages } from "../../src/notifiers/kit/validate";
import { classifyServerError, connectCommand, natsAuth, natsServers, nats, parseCreds, parseInfo, publishCommand, type NatsPublish } from "../../src/notifiers/nats";
import { publishNats, type NatsSocket, type SocketConnect } from "../../src/notifiers/nats-socket";
import { nkeyFromSeed } from "../../src/notifiers/nkeys";
import { sendRequest } from "../../src/notifiers/transport";
import { formatRequest } from "../support/notifier-kit";
import { loadVectors, vectorContext, vectorSettings } from "../support/vectors";

const vectors = loadVectors("nats");
const [info] = vectors;
// The user nkey pair of the NATS documentation's nkey example (docs.nats.io, NKeys).
const SEED = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
const PUBLIC = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";
const settings = (over: Partial<ReturnType<typeof vectorSettings>> = {}) => ({ ...vectorSettings(info), ...over });

describe("nats vectors", () => {
  for (const v of vectors) {
    it(v.name, async () => {
      const ctx = vectorContext(v);
      expect(nats.validate(ctx.settings)).toEqual([]);
      const req = await formatRequest(nats, ctx);
      const expected = v.expect as unknown as { subject: string; auth: string; bodyRaw: string };
      expect(req.body).toBe(expected.bodyRaw);
      expect(req.nats?.subject).toBe(expected.subject);
      expect(req.nats?.auth.kind).toBe({ "user/password": "password", none: "none" }[expected.auth]);
    });
  }
});

describe("nats settings", () => {
  it("reads the servers of the address as nats.Connect does", () => {
    expect(natsServers("nats://a.example:4223, tls://b.example,c.example")).toEqual([
      { hostname: "a.example", port: 4223, tls: false },
      { hostname: "b.example", port: 4222, tls: true },
      { hostname: "c.example", port: 4222, tls: false },
    ]);
    expect(natsServers("nats://s3cr3t@a.example")[0].userinfo).toEqual({ token: "s3cr3t" });
    expect(natsServers("nats://u:p%40ss@a.example")[0].userinfo).toEqual({ user: "u", pass: "p@ss" });
    expect(() => natsServers("ws://a.example")).toThrow(/scheme ws is not supported/);
  });

  it("picks creds, then nkey, then username and password, as Flux's NewNATS", () => {
    const creds = `-----BEGIN NATS USER JWT-----\neyJhbGciOi.jwt.sig\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\n\n-----BEGIN USER NKEY SEED-----\n${SEED}\n------END USER NKEY SEED------\n`;
    expect(natsAuth(settings({ secret: { creds, nkey: SEED } }))).toEqual({ kind: "creds", jwt: "eyJhbGciOi.jwt.sig", seed: SEED });
    expect(natsAuth(settings({ secret: { nkey: SEED } }))).toEqual({ kind: "nkey", seed: SEED });
    expect(natsAuth(settings({ secret: {}, username: "u", password: "p" }))).toEqual({ kind: "password", user: "u", pass: "p" });
    expect(natsAuth(settings({ secret: {}, username: "u", password: "" }))).toEqual({ kind: "none" });
    expect(parseCreds(creds).jwt).toBe("eyJhbGciOi.jwt.sig");
  });

  it("names the missing or broken setting", () => {
    expect(problemMessages(nats.validate(settings({ address: "" })))[0]).toMatch(/NATS server \(address\) cannot be empty/);
    expect(problemMessages(nats.validate(settings({ channel: "" })))).toEqual(["NATS subject (channel) cannot be empty: set spec.channel to the subject to publish to"]);
    expect(problemMessages(nats.validate(settings({ channel: "a b" })))).toEqual(["invalid NATS subject (spec.channel): a subject cannot contain whitespace"]);
    const broken = problemMessages(nats.validate(settings({ secret: { nkey: "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VX" } })));
    expect(broken).toEqual(["error parsing nkey seed in the nkey key of the Secret: invalid nkey seed: checksum mismatch"]);
    expect(broken.join()).not.toContain("SUACSSL3");
  });
});

describe("nats protocol", () => {
  it("derives the public key of a seed and signs the nonce with Ed25519", async () => {
    const pair = await nkeyFromSeed(SEED);
    expect(pair.publicKey).toBe(PUBLIC);
    const line = await connectCommand({ nonce: "abc-nonce" }, { hostname: "h", port: 4222, tls: false }, { kind: "nkey", seed: SEED }, false);
    const fields = JSON.parse(line.slice("CONNECT ".length));
    expect(line.endsWith("\r\n")).toBe(true);
    expect(fields).toMatchObject({ verbose: false, pedantic: false, nkey: PUBLIC, name: "NATS Provider Publisher", tls_required: false });
    const raw = Uint8Array.from(atob(fields.sig.replace(/-/g, "+").replace(/_/g, "/") + "=="), (c) => c.charCodeAt(0));
    const publicRaw = raw.length === 64 ? await publicKeyBytes(SEED) : undefined;
    const key = await crypto.subtle.importKey("raw", publicRaw!, { name: "Ed25519" }, false, ["verify"]);
    expect(await crypto.subtle.verify("Ed25519", key, raw, new TextEncoder().encode("abc-nonce"))).toBe(true);
  });

  it("sends user and password, or the creds JWT with a signature, and lets URL credentials win", async () => {
    const server = { hostname: "h", port: 4222, tls: false };
    const password = JSON.parse((await connectCommand({}, server, { kind: "password", user: "u", pass: "p" }, true)).slice(8));
    expect(password).toMatchObject({ user: "u", pass: "p", tls_required: true });
    const creds = JSON.parse((await connectCommand({ nonce: "n" }, server, { kind: "creds", jwt: "J.W.T", seed: SEED }, false)).slice(8));
    expect(creds.jwt).toBe("J.W.T");
    expect(creds.sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(creds.nkey).toBeUndefined();
    const token = JSON.parse((await connectCommand({}, { ...server, userinfo: { token: "t0k" } }, { kind: "password", user: "u", pass: "p" }, false)).slice(8));
    expect(token).toMatchObject({ auth_token: "t0k" });
    expect(token.user).toBeUndefined();
  });

  it("frames PUB with the byte length of the UTF-8 payload, then PING", () => {
    const frame = new TextDecoder().decode(publishCommand("flux.events", new TextEncoder().encode('{"m":"é"}')));
    expect(frame).toBe('PUB flux.events 10\r\n{"m":"é"}\r\nPING\r\n');
  });

  it("parses INFO and classifies server errors", () => {
    expect(parseInfo('INFO {"server_id":"x","tls_required":true,"nonce":"n","max_payload":1048576}')).toMatchObject({ tls_required: true, nonce: "n", max_payload: 1048576 });
    expect(() => parseInfo("HTTP/1.1 400 Bad Request")).toThrow(/expected INFO/);
    expect(classifyServerError("-ERR 'Authorization Violation'")).toEqual({ outcome: "permanent", reason: "NATS server error: Authorization Violation" });
    expect(classifyServerError(`-ERR 'Permissions Violation for Publish to "flux.events"'`).outcome).toBe("permanent");
    expect(classifyServerError("-ERR 'maximum connections exceeded'").outcome).toBe("retry");
  });
});

describe("nats conversation", () => {
  const publish: NatsPublish = { servers: [{ hostname: "127.0.0.1", port: 4222, tls: false }], subject: "flux.events", auth: { kind: "none" } };

  it("publishes and waits for the PONG", async () => {
    const server = scripted(['INFO {"server_id":"x","max_payload":1048576}\r\n'], (text) => (text.includes("PING\r\n") ? ["+OK\r\n", "PING\r\n", "PONG\r\n"] : []));
    expect(await publishNats(publish, '{"a":1}', 1000, server.connect)).toEqual({ outcome: "delivered" });
    expect(server.received()).toContain('PUB flux.events 7\r\n{"a":1}\r\nPING\r\n');
    expect(server.received()).toContain("PONG\r\n");
    expect(server.closed()).toBe(true);
  });

  it("reports the server's -ERR before the PONG", async () => {
    const server = scripted(["INFO {}\r\n"], (text) => (text.startsWith("CONNECT") ? ["-ERR 'Authorization Violation'\r\n"] : []));
    expect(await publishNats(publish, "{}", 1000, server.connect)).toEqual({ outcome: "permanent", reason: "NATS server error: Authorization Violation" });
  });

  it("upgrades to TLS when INFO requires it", async () => {
    const server = scripted(['INFO {"tls_required":true}\r\n'], (text) => (text.includes("PING") ? ["PONG\r\n"] : []));
    expect(await publishNats(publish, "{}", 1000, server.connect)).toEqual({ outcome: "delivered" });
    expect(server.tlsHost()).toBe("127.0.0.1");
    expect(server.received()).toContain('"tls_required":true');
  });

  it("refuses a payload above the server's max_payload without sending it", async () => {
    const server = scripted(['INFO {"max_payload":4}\r\n'], () => []);
    expect(await publishNats(publish, "{12345}", 1000, server.connect)).toMatchObject({ outcome: "permanent", reason: expect.stringMatching(/maximum payload/) });
    expect(server.received()).toBe("");
  });

  it("tries the next server when one is unreachable, and retries when none answers in time", async () => {
    const good = scripted(["INFO {}\r\n"], (text) => (text.includes("PING") ? ["PONG\r\n"] : []));
    const connect: SocketConnect = (address, options) => {
      if (address.port === 1) throw new Error("connection refused");
      return good.connect(address, options);
    };
    const two: NatsPublish = { ...publish, servers: [{ hostname: "127.0.0.1", port: 1, tls: false }, publish.servers[0]] };
    expect(await publishNats(two, "{}", 1000, connect)).toEqual({ outcome: "delivered" });
    const silent = scripted([], () => []);
    expect(await publishNats(publish, "{}", 50, silent.connect)).toMatchObject({ outcome: "retry", reason: expect.stringMatching(/^timeout/) });
  });

  it("goes through the transport with redacted reasons", async () => {
    const server = scripted(["INFO {}\r\n"], () => ["-ERR 'Authorization Violation for s3cret-user'\r\n"]);
    const req = await formatRequest(nats, vectorContext(info));
    const outcome = await sendRequest(nats, req, 1000, ["s3cret-user"], fetch, server.connect);
    expect(outcome.classification).toEqual({ outcome: "permanent", reason: "NATS server error: Authorization Violation for *****" });
  });
});

async function publicKeyBytes(seed: string): Promise<Uint8Array> {
  const raw = base32(seed);
  const pkcs8 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, ...raw.subarray(2, 34)]);
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const jwk = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
  return Uint8Array.from(atob(jwk.x!.replace(/-/g, "+").replace(/_/g, "/") + "="), (c) => c.charCodeAt(0));
}

function base32(text: string): Uint8Array {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of text) {
    buffer = (buffer << 5) | "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".indexOf(ch);
    bits += 5;
    if (bits >= 8) out.push((buffer >> (bits -= 8)) & 0xff);
  }
  return new Uint8Array(out);
}

/** A fake NATS server: sends `greeting`, then answers each client write with `reply(text)`. */
function scripted(greeting: string[], reply: (text: string) => string[]) {
  let received = "";
  let closed = false;
  let tlsHost: string | undefined;
  const make = (): NatsSocket => {
    let push!: ReadableStreamDefaultController<Uint8Array>;
    const readable = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
    const send = (lines: string[]) => lines.forEach((l) => push.enqueue(new TextEncoder().encode(l)));
    const writable = new WritableStream<Uint8Array>({
      write(chunk) {
        const text = new TextDecoder().decode(chunk);
        received += text;
        send(reply(text));
      },
    });
    return {
      readable,
      writable,
      close: async () => void (closed = true),
      startTls: (options) => {
        tlsHost = options?.expectedServerHostname;
        return make();
      },
      greet: () => send(greeting),
    } as NatsSocket & { greet(): void };
  };
  return {
    connect: ((_address, _options) => {
      const socket = make() as NatsSocket & { greet(): void };
      socket.greet();
      return socket;
    }) as SocketConnect,
    received: () => received,
    closed: () => closed,
    tlsHost: () => tlsHost,
  };
}
