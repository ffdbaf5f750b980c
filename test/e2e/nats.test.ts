import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fluxEvent, NAMESPACE, route, useRelay, waitUntil } from "../support/e2e-kit";
import { ensureNatsServer, NatsServer, NatsSubscriber } from "../support/nats-server";

// The user nkey pair of the NATS documentation's nkey example (docs.nats.io, NKeys).
const NKEY_SEED = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
const NKEY_PUBLIC = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";
const INSTALL_HOOK_TIMEOUT_MS = 600_000;

interface Delivery {
  outcome: string;
  error: string | null;
}

describe("e2e: a real nats-server behind the relay", () => {
  const relay = useRelay({
    label: "e2e-nats",
    vars: {
      SECRET__FLUX_SYSTEM__NATS_PASSWORD: JSON.stringify({ username: "relay", password: "relay-pass-5e1" }),
      SECRET__FLUX_SYSTEM__NATS_WRONG: JSON.stringify({ username: "relay", password: "not-the-password" }),
      SECRET__FLUX_SYSTEM__NATS_NKEY: JSON.stringify({ nkey: NKEY_SEED }),
    },
  });
  let open: NatsServer | undefined;
  let guarded: NatsServer | undefined;
  const subscribers: NatsSubscriber[] = [];

  beforeAll(async () => {
    const binary = await ensureNatsServer();
    open = await NatsServer.start(binary);
    guarded = await NatsServer.start(
      binary,
      `authorization { users = [ { user: relay, password: relay-pass-5e1 }, { user: reader, password: reader-pass }, { nkey: ${NKEY_PUBLIC} } ] }`,
    );
  }, INSTALL_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    for (const s of subscribers) s.close();
    await open?.stop();
    await guarded?.stop();
  });

  async function publishAndRead(name: string, server: NatsServer, secretRef?: string): Promise<{ received: string; deliveries: Delivery[] }> {
    const subject = `flux.e2e.${name}`;
    const credentials: Record<string, string> = server === guarded ? { user: "reader", pass: "reader-pass" } : {};
    const subscriber = await NatsSubscriber.subscribe(server.port, subject, credentials);
    subscribers.push(subscriber);
    await route(relay(), name, { type: "nats", address: `nats://127.0.0.1:${server.port}`, channel: subject }, { secretRef });
    const event = fluxEvent(name, name, 1);
    expect((await relay().hook("prod-eu", event)).status).toBe(202);
    const message = await waitUntil(`the message on ${subject}`, async () => subscriber.messages[0], 30_000);
    expect(message.subject).toBe(subject);
    const deliveries = await waitUntil("the delivery row", async () => {
      const { items } = await relay().admin<{ items: Delivery[] }>(`/providers/${NAMESPACE}/${name}/deliveries`);
      return items.length > 0 ? items : undefined;
    }, 15_000);
    return { received: message.payload, deliveries };
  }

  function expectEvent(payload: string, name: string): void {
    const event = JSON.parse(payload);
    expect(event.involvedObject).toMatchObject({ kind: "Kustomization", name, namespace: NAMESPACE });
    expect(event.message).toContain(`(e2e:${name}:1)`);
    expect(event.metadata).toMatchObject({ revision: expect.any(String), cluster: "prod-eu" });
    // Flux's json.Marshal field order.
    expect(Object.keys(event)).toEqual(["involvedObject", "severity", "timestamp", "message", "reason", "metadata", "reportingController"]);
  }

  it("publishes to a server without authentication", async () => {
    const { received, deliveries } = await publishAndRead("nats-open", open!);
    expectEvent(received, "nats-open");
    expect(deliveries.map((d) => d.outcome)).toEqual(["delivered"]);
  });

  it("authenticates with username and password", async () => {
    const { received, deliveries } = await publishAndRead("nats-password", guarded!, "nats-password");
    expectEvent(received, "nats-password");
    expect(deliveries.map((d) => d.outcome)).toEqual(["delivered"]);
  });

  it("authenticates with an nkey seed signing the server's nonce", async () => {
    const { received, deliveries } = await publishAndRead("nats-nkey", guarded!, "nats-nkey");
    expectEvent(received, "nats-nkey");
    expect(deliveries.map((d) => d.outcome)).toEqual(["delivered"]);
  });

  it("dead-letters a publish the server refuses, with its reason", async () => {
    const name = "nats-wrong";
    await route(relay(), name, { type: "nats", address: `nats://127.0.0.1:${guarded!.port}`, channel: "flux.e2e.wrong" }, { secretRef: "nats-wrong" });
    expect((await relay().hook("prod-eu", fluxEvent(name, name, 1))).status).toBe(202);
    const [row] = await waitUntil("the failed delivery", async () => {
      const { items } = await relay().admin<{ items: Delivery[] }>(`/providers/${NAMESPACE}/${name}/deliveries`);
      return items.length > 0 ? items : undefined;
    }, 15_000);
    // "dead-lettered" in the outcome vocabulary of docs/operations.md (older rows: "dead-letter").
    expect(row.outcome).toMatch(/^dead-letter/);
    expect(row.error).toBe("NATS server error: Authorization Violation");
  });
});
