import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hmacHex } from "../../src/lib/crypto";
import { ADMIN, admin, captureBox, captureConsole, fixtureEvent, INGRESS_KEY, putAlert, putProvider, sendSigned } from "../support/workers";

/** Values of the secret bindings in vitest.config.ts, plus the test's own keys. */
const SECRETS = [
  "leaky-token-secret-7c1",
  "leaky-header-secret-5d2",
  "leaky-password-secret-3a9",
  "leaky-address-secret-4e7",
  "leaky-query-secret-8b2",
  INGRESS_KEY,
  "test-admin-token",
];


function logged(): { raw: string; parsed: Record<string, unknown>[] } {
  return { raw: lines.join("\n"), parsed: lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Captures console output of the Worker and its Durable Objects (same isolate in the test
 * runtime) while events are received, delivered, retried, dead-lettered and refused, then
 * checks that no secret value, signature, token or secret-bearing address appears anywhere.
 */
const lines = captureConsole();

describe("structured logs carry no secret", () => {
  const extraSecrets: string[] = [];

  it("ingress, delivery, retries, dead letters, refusals and admin use", async () => {
    const signed = captureBox();
    const echoing = captureBox();
    // A destination that echoes credentials back in its error bodies, first retryable then permanent.
    await echoing.program([
      { status: 500, body: "upstream rejected token leaky-token-secret-7c1 and key leaky-header-secret-5d2", times: 1 },
      { status: 401, body: "bad credentials leaky-password-secret-3a9 for Basic bGVha3ktdXNlcjpsZWFreS1wYXNzd29yZC1zZWNyZXQtM2E5" },
    ]);
    await putProvider("hmac", { type: "generic-hmac", address: signed.url, secretRef: { name: "leaky-token" } }, { namespace: "logs" });
    await putProvider("echo", { type: "generic", address: echoing.url, secretRef: { name: "leaky-token" } }, { namespace: "logs" });
    // Secret-bearing address (a Slack-style webhook URL) that refuses connections: retried with a connection error.
    await putProvider("unreachable", { type: "generic", secretRef: { name: "leaky-address" } }, { namespace: "logs" });
    for (const name of ["hmac", "echo", "unreachable"]) await putAlert(name, { providerRef: { name }, eventSources: [{ kind: "Kustomization", name: "*", namespace: "flux-system" }] }, "logs");

    const event = fixtureEvent({ message: "logs test" });
    const body = JSON.stringify(event);
    const signature = await hmacHex("SHA-256", INGRESS_KEY, body);
    extraSecrets.push(signature);
    expect((await sendSigned(body)).status).toBe(202);
    // Bearer ingress (a Flux `generic` provider with a headers Secret), and refused requests.
    const bearer = await exports.default.fetch("http://relay/hook/test", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${INGRESS_KEY}` },
      body: JSON.stringify(fixtureEvent({ message: "logs test bearer" })),
    });
    expect(bearer.status).toBe(202);
    expect((await sendSigned(body, { key: "leaky-token-secret-7c1" })).status).toBe(401);
    const forged = await exports.default.fetch("http://relay/hook/test", {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature": `sha256=${"ab".repeat(32)}`, authorization: "Bearer leaky-token-secret-7c1" },
      body,
    });
    expect(forged.status).toBe(401);

    const [delivered] = await signed.waitFor(1);
    extraSecrets.push(delivered.headers["x-signature"].replace(/^sha256=/, ""));
    await echoing.waitFor(2);

    // Admin API and status page use of the admin token, a test send through the secret provider.
    expect((await admin("/providers/logs/echo/test", { method: "POST" })).status).toBe(200);
    expect((await exports.default.fetch("http://relay/api/v1/providers", { headers: { authorization: "Bearer wrong-admin-guess" } })).status).toBe(401);
    const login = await exports.default.fetch("http://relay/login", {
      method: "POST",
      headers: { origin: "http://relay", "content-type": "application/x-www-form-urlencoded" },
      body: "token=test-admin-token",
      redirect: "manual",
    });
    expect(login.status).toBe(303);
    extraSecrets.push(/flux_relay_session=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")![1]);
    expect((await exports.default.fetch("http://relay/metrics", { headers: ADMIN })).status).toBe(200);

    await until(() => logged().parsed.some((l) => l.msg === "delivery attempt" && l.provider === "logs/echo" && l.outcome === "dead-lettered"), "the echo provider's dead letter");
    await until(() => logged().parsed.some((l) => l.msg === "delivery attempt" && l.provider === "logs/unreachable" && l.outcome === "retried"), "the unreachable provider's retry");
    await until(() => logged().parsed.some((l) => l.msg === "delivery attempt" && l.provider === "logs/hmac" && l.outcome === "delivered"), "the signed delivery");

    const { raw, parsed } = logged();
    // The capture worked: one line per ingress request and per attempt, all JSON.
    expect(parsed.filter((l) => l.msg === "event received").length).toBeGreaterThanOrEqual(2);
    const attempts = parsed.filter((l) => l.msg === "delivery attempt");
    expect(attempts.length).toBeGreaterThanOrEqual(4);
    // Failures are logged with their (redacted) reasons, so redaction was exercised, not bypassed.
    const echoErrors = attempts.filter((l) => l.provider === "logs/echo").map((l) => String(l.error));
    expect(echoErrors.join("\n")).toMatch(/HTTP 500: upstream rejected token \*{5}/);
    expect(echoErrors.join("\n")).toMatch(/HTTP 401: bad credentials \*{5}/);

    for (const secret of [...SECRETS, ...extraSecrets]) {
      expect(raw.includes(secret), `a log line contains ${secret}:\n${raw.split("\n").filter((l) => l.includes(secret)).join("\n")}`).toBe(false);
    }
    // Nor any signature header or Authorization value, whatever its key.
    expect(raw).not.toMatch(/sha(256|384|512)=[0-9a-f]{16}/);
    expect(raw).not.toMatch(/Bearer [^*\s"]{4}/);
  });
});
