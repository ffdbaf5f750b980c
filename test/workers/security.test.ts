import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { CaptureBox } from "../support/capture-client";
import { admin, captureBox, captureConsole, fixtureEvent, json, putAlert, putProvider, sendSigned, waitUntil } from "../support/workers";

// One test per finding of the security review (docs/operations.md, Security): each failed before
// the fix it names.

const READ = { authorization: "Bearer test-read-token" };
const ORIGIN = "http://relay";
let ipCounter = 0;
/** A fresh client address per call: the sign-in and hook limiters count per CF-Connecting-IP. */
const freshIp = () => `198.51.100.${++ipCounter}`;

function login(token: string, opts: { origin?: string; ip?: string; body?: string } = {}): Promise<Response> {
  const origin = opts.origin ?? ORIGIN;
  return exports.default.fetch(`${origin}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin, "cf-connecting-ip": opts.ip ?? freshIp() },
    body: opts.body ?? new URLSearchParams({ token }).toString(),
    redirect: "manual",
  });
}

const cookieOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");

/** Console lines of the Worker and its objects while this file runs. */
const lines = captureConsole();

describe("scoped tokens: READ_TOKEN reads, only ADMIN_TOKEN writes", () => {
  beforeAll(async () => {
    await putProvider("sink", { type: "generic", address: captureBox().url }, { namespace: "scoped" });
  });

  it("the read token opens GET routes and /metrics, and every write with it is 403", async () => {
    expect((await admin("/providers", { headers: READ })).status).toBe(200);
    expect((await admin("/providers/scoped/sink", { headers: READ })).status).toBe(200);
    expect((await exports.default.fetch("http://relay/metrics", { headers: READ })).status).toBe(200);
    const manifest = JSON.stringify({ apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Provider", metadata: { name: "evil" }, spec: { type: "generic", address: "https://evil.example/" } });
    const writes: [string, RequestInit][] = [
      ["/providers/scoped/evil", { method: "PUT", body: manifest }],
      ["/providers/scoped/sink/test", { method: "POST" }],
      ["/providers/scoped/sink/suspend", { method: "POST" }],
      ["/providers/scoped/sink/deadletters/discard", { method: "POST" }],
      ["/providers/scoped/sink", { method: "DELETE" }],
    ];
    for (const [path, init] of writes) {
      const res = await admin(path, { ...init, headers: READ });
      expect(res.status, `${init.method} ${path}`).toBe(403);
      expect((await json(res)).error).toContain("ADMIN_TOKEN");
    }
    expect(await env.CONFIG.get("providers/scoped/evil")).toBeNull();
    expect((await admin("/providers/scoped/sink/suspend", { method: "POST" })).status).toBe(200);
    expect((await admin("/providers/scoped/sink", { headers: { authorization: "Bearer test-read-tokenx" } })).status).toBe(401);
  });

  it("a status page opened with the read token has no buttons or forms but sign-out, and its session cannot act", async () => {
    const res = await login("test-read-token");
    expect(res.status).toBe(303);
    const cookie = cookieOf(res);
    const html = await (await exports.default.fetch(`${ORIGIN}/`, { headers: { cookie } })).text();
    expect(html).toContain('data-provider="scoped/sink"');
    expect(html).not.toContain("data-action=");
    // The delivery filter (a GET form) stays; the only POST form is sign-out.
    expect(html.match(/<form method="post"/g)).toHaveLength(1);
    expect(html).toContain('action="/logout"');
    const act = await exports.default.fetch(`${ORIGIN}/dashboard/providers/scoped/sink/resume`, { method: "POST", headers: { cookie, origin: ORIGIN }, redirect: "manual" });
    expect(act.status).toBe(403);
    expect((await exports.default.fetch(`${ORIGIN}/api/v1/providers/scoped/sink/resume`, { method: "POST", headers: { cookie, origin: ORIGIN } })).status).toBe(403);
    const adminHtml = await (await exports.default.fetch(`${ORIGIN}/`, { headers: { cookie: cookieOf(await login("test-admin-token")) } })).text();
    expect(adminHtml).toContain('data-action="resume"');
  });
});

describe("Secrets pinned to hosts (allowedHosts)", () => {
  const defaultBox = () => new CaptureBox(inject("captureUrl"), "_default");
  const carried = async (secret: string) => (await defaultBox().requests()).filter((r) => JSON.stringify(r).includes(secret));

  it("a githubdispatch Provider redirected to another host is Ready=False SecretHostMismatch and its test send sends nothing", async () => {
    // The review's finding: whoever may PUT a Provider points it at their host, names an existing
    // GitHub token Secret, and a test send posts `Authorization: Bearer <PAT>` there.
    await putProvider("redirected", { type: "githubdispatch", address: `${inject("captureUrl")}/org/repo`, secretRef: { name: "pinned-github" } }, { namespace: "sec" });
    const test = await json(await admin("/providers/sec/redirected/test", { method: "POST" }));
    expect(test.outcome).toBe("failed");
    expect(test.error).toContain("SecretHostMismatch");
    const view = await json(await admin("/providers/sec/redirected"));
    const ready = view.status.conditions.find((c: { type: string }) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "SecretHostMismatch" });
    expect(ready.message).toContain("127.0.0.1");
    expect(await carried("ghp-pinned-secret-91x")).toEqual([]);
  });

  it("a queued event for a Provider whose host is not allowed is dead-lettered and never sent; an allowed host delivers", async () => {
    const blocked = captureBox();
    const allowed = captureBox();
    await putProvider("off-host", { type: "generic", address: blocked.url, secretRef: { name: "pinned-hook" } }, { namespace: "sec" });
    await putProvider("on-host", { type: "generic", address: allowed.url, secretRef: { name: "pinned-local" } }, { namespace: "sec" });
    await putAlert("off-host", { providerRef: { name: "off-host" }, eventSources: [{ kind: "Kustomization", name: "pinned" }] }, "sec");
    await putAlert("on-host", { providerRef: { name: "on-host" }, eventSources: [{ kind: "Kustomization", name: "pinned" }] }, "sec");
    const event = fixtureEvent({ involvedObject: { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: "pinned", namespace: "sec" }, message: "pinned host" });
    expect((await sendSigned(event)).status).toBe(202);
    const [delivered] = await allowed.waitFor(1);
    expect(delivered.headers.authorization).toBe("Bearer pinned-local-token-18q");
    const dead = await waitUntil(async () => {
      const items = (await json(await admin("/providers/sec/off-host/deadletters"))).items;
      return items.length > 0 ? items : undefined;
    });
    expect(dead[0].reason).toContain("SecretHostMismatch");
    expect(await blocked.requests()).toEqual([]);
    expect(await carried("pinned-hook-token-62y")).toEqual([]);
  });
});

describe("no secret in any problem text", () => {
  const LEAKS = ["hdr-leak-one-4f1", "hdr-leak-two-8c2", "echo-pass-secret-77z", "ZWNoby11c2VyOmVjaG8tcGFzcy1zZWNyZXQtNzd6", "echo%2Fkey%2Bsecret%3D55", "echo/key+secret=55", "addr-pass-secret-31k", "stranger-pw-5"];
  const expectClean = (text: string, where: string) => {
    for (const leak of LEAKS) expect(text.includes(leak), `${leak} in ${where}: ${text.slice(0, 600)}`).toBe(false);
  };

  it("a malformed headers value: the condition, dead letter, history and logs name the YAML position only", async () => {
    await putProvider("bad-headers", { type: "generic", address: captureBox().url, secretRef: { name: "bad-headers" } }, { namespace: "sec" });
    await putAlert("bad-headers", { providerRef: { name: "bad-headers" }, eventSources: [{ kind: "Kustomization", name: "malformed" }] }, "sec");
    const event = fixtureEvent({ involvedObject: { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: "malformed", namespace: "sec" } });
    expect((await sendSigned(event)).status).toBe(202);
    const dead = await waitUntil(async () => {
      const items = (await json(await admin("/providers/sec/bad-headers/deadletters"))).items;
      return items.length > 0 ? items : undefined;
    });
    const view = await (await admin("/providers/sec/bad-headers")).text();
    const ready = JSON.parse(view).status.conditions.find((c: { type: string }) => c.type === "Ready");
    expect(ready.message).toMatch(/failed to read headers from the Secret: .* at line 2, column \d+/);
    const history = await (await admin("/providers/sec/bad-headers/deliveries")).text();
    const page = await (await exports.default.fetch(`${ORIGIN}/`, { headers: { cookie: cookieOf(await login("test-admin-token")) } })).text();
    for (const [where, text] of [["status", view], ["dead letter", JSON.stringify(dead)], ["history", history], ["status page", page], ["logs", lines.join("\n")]]) expectClean(text, where);
  });

  it("a destination echoing credentials (Basic base64, URL-encoded, userinfo) is excerpted with every form masked", async () => {
    const echo = captureBox();
    const basic = btoa("echo-user:echo-pass-secret-77z");
    // Every form inside the 200-character excerpt, the Basic credential straddling its cut.
    const forms = `key=${encodeURIComponent("echo/key+secret=55")} json="echo\\/key+secret=55" via http://someone:stranger-pw-5@proxy.example/ `;
    const body = `${forms}${"x".repeat(185 - forms.length)} Basic ${basic} end`;
    await echo.program([{ status: 400, body }]);
    // Basic credentials in spec.address's userinfo, an API key in the Secret's headers.
    const address = echo.url.replace("http://", "http://echo-user:echo-pass-secret-77z@");
    await putProvider("echo", { type: "generic", address, secretRef: { name: "echo" } }, { namespace: "sec" });
    const test = await json(await admin("/providers/sec/echo/test", { method: "POST" }));
    expect(test.outcome).toBe("failed");
    expect(test.error).toMatch(/^HTTP 400: key=\*{5} json="\*{5}" via http:\/\/\*{5}@proxy\.example\/ x+ Basic \*{5}/);
    const [sent] = await echo.requests();
    expect(sent.headers["x-api-key"]).toBe("echo/key+secret=55");
    expectClean(JSON.stringify(test), "the test send's answer");
    expectClean(await (await admin("/providers/sec/echo/deliveries")).text(), "history");
  });

  it("credentials in a Provider's spec.address are masked wherever the address is reported", async () => {
    await putProvider("userinfo", { type: "generic", address: "http://admin:addr-pass-secret-31k@127.0.0.1:9/hook" }, { namespace: "sec" });
    const test = await admin("/providers/sec/userinfo/test", { method: "POST" });
    expectClean(await test.text(), "the test send's answer");
    expectClean(await (await admin("/providers/sec/userinfo/deliveries")).text(), "history");
    expectClean(lines.join("\n"), "logs");
  });
});

describe("rate limits and body caps at the edges", () => {
  it("/login refuses a body over 4 KiB before parsing it", async () => {
    const res = await login("", { body: `token=test-admin-token&pad=${"x".repeat(5000)}` });
    expect(res.status).toBe(413);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("/login allows 10 attempts a minute per client address, then 429 with Retry-After", async () => {
    const ip = freshIp();
    let attempts = 0;
    let limited = await login("guess", { ip });
    while (limited.status === 401 && attempts < 50) {
      attempts++;
      limited = await login(attempts % 2 ? "test-admin-token-guess" : "guess", { ip });
    }
    // 10 attempts a minute: the 11th is refused (the 21st at most, when a minute boundary passed meanwhile).
    expect(attempts).toBeGreaterThanOrEqual(10);
    expect(attempts).toBeLessThanOrEqual(20);
    expect(limited.status).toBe(429);
    expect((await login("test-admin-token", { ip })).status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.getSetCookie()).toEqual([]);
    expect((await login("test-admin-token")).status).toBe(303);
  });

  it("unauthenticated /hook requests are limited per client address; that address's signed events still pass", async () => {
    const ip = freshIp();
    const unsigned = () => exports.default.fetch("http://relay/hook/test", { method: "POST", headers: { "cf-connecting-ip": ip, "x-signature": `sha256=${"0".repeat(64)}` }, body: "{}" });
    let status = 401;
    let answered = 0;
    while (status === 401 && answered < 100) {
      const res = await unsigned();
      status = res.status;
      answered++;
      if (status === 429) expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(status).toBe(429);
    // 30 refusals a minute, then 429: 31 answers, or up to twice that when a minute boundary passed meanwhile.
    expect(answered).toBeGreaterThanOrEqual(31);
    expect(answered).toBeLessThanOrEqual(61);
    const signed = await sendSigned(fixtureEvent({ message: "limited address, signed" }), { headers: { "cf-connecting-ip": ip } });
    expect(signed.status).toBe(202);
    expect((await exports.default.fetch("http://relay/hook/test", { method: "POST", headers: { "cf-connecting-ip": freshIp() }, body: "{}" })).status).toBe(401);
  });
});

describe("bounded parsing", () => {
  const provider = (extra: string) => `apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata:\n  name: bounded\n${extra}spec:\n  type: generic\n  address: https://example.com/\n`;

  it("a manifest over 256 KiB written straight to KV is refused on load", async () => {
    await env.CONFIG.put("providers/sec/huge", provider(`  annotations:\n    pad: "${"x".repeat(300 * 1024)}"\n`).replace("bounded", "huge"));
    const res = await admin("/providers/sec/huge");
    expect(res.status).toBe(422);
    expect(JSON.stringify((await json(res)).details)).toContain("larger than 262144 bytes");
  });

  it("duplicate keys and maps of more than 1000 keys are refused on PUT", async () => {
    const dup = await admin("/providers/sec/bounded", { method: "PUT", body: provider("  labels:\n    a: b\n    a: c\n") });
    expect(dup.status).toBe(422);
    expect((await json(dup)).details[0]).toMatch(/duplicate map key at line 7/);
    const labels = Array.from({ length: 1001 }, (_, i) => `    l${i}: v\n`).join("");
    const many = await admin("/providers/sec/bounded", { method: "PUT", body: provider(`  labels:\n${labels}`) });
    expect(many.status).toBe(422);
    expect((await json(many)).details[0]).toContain("at most 1000");
    expect(await env.CONFIG.get("providers/sec/bounded")).toBeNull();
  });
});

describe("sessions", () => {
  it("the session cookie is __Host- prefixed over https and plain over http", async () => {
    const https = await login("test-admin-token", { origin: "https://relay.example" });
    expect(https.status).toBe(303);
    expect(https.headers.getSetCookie()[0]).toMatch(/^__Host-flux_relay_session=admin\.\d+\.\d+\.[0-9a-f]{64}; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const cookie = cookieOf(https);
    expect((await exports.default.fetch("https://relay.example/api/v1/providers", { headers: { cookie } })).status).toBe(200);
    // The plain name is not read over https, where a sibling could have planted it.
    expect((await exports.default.fetch("https://relay.example/api/v1/providers", { headers: { cookie: cookie.replace("__Host-", "") } })).status).toBe(401);
    expect((await login("test-admin-token")).headers.getSetCookie()[0]).toMatch(/^flux_relay_session=/);
  });

  it("logout revokes the session server-side: the old cookie no longer opens anything", async () => {
    const cookie = cookieOf(await login("test-admin-token"));
    expect((await exports.default.fetch(`${ORIGIN}/api/v1/providers`, { headers: { cookie } })).status).toBe(200);
    const out = await exports.default.fetch(`${ORIGIN}/logout`, { method: "POST", headers: { cookie, origin: ORIGIN }, redirect: "manual" });
    expect(out.status).toBe(303);
    expect((await exports.default.fetch(`${ORIGIN}/api/v1/providers`, { headers: { cookie } })).status).toBe(401);
    expect(await (await exports.default.fetch(`${ORIGIN}/`, { headers: { cookie } })).text()).toContain('action="/login"');
    const fresh = cookieOf(await login("test-admin-token"));
    expect((await exports.default.fetch(`${ORIGIN}/api/v1/providers`, { headers: { cookie: fresh } })).status).toBe(200);
  });
});

describe("/healthz", () => {
  it("without a token: counts only, from the cached snapshot; with a token: the invalid manifests by name", async () => {
    await env.CONFIG.put("alerts/sec/broken-one", "kind: Alert");
    expect((await admin("/alerts")).status).toBe(200);
    const anonymous = await json(await exports.default.fetch("http://relay/healthz"));
    expect(typeof anonymous.invalid).toBe("number");
    const before = anonymous.invalid as number;
    // Written straight to KV: an anonymous call does not re-read it.
    await env.CONFIG.put("alerts/sec/broken-two", "kind: Alert");
    const again = await (await exports.default.fetch("http://relay/healthz")).text();
    expect(JSON.parse(again).invalid).toBe(before);
    expect(again).not.toContain("broken-");
    const named = await json(await exports.default.fetch("http://relay/healthz", { headers: READ }));
    expect(named.invalid.map((i: { key: string }) => i.key)).toEqual(expect.arrayContaining(["alerts/sec/broken-one", "alerts/sec/broken-two"]));
    await env.CONFIG.delete("alerts/sec/broken-one");
    await env.CONFIG.delete("alerts/sec/broken-two");
  });

  it("reports a weak admin token (the test's is 16 characters) without failing", async () => {
    const res = await exports.default.fetch("http://relay/healthz");
    expect(res.status).toBe(200);
    const { problems } = await json(res);
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining("ADMIN_TOKEN is weak"), expect.stringContaining("READ_TOKEN is weak")]));
    expect(JSON.stringify(problems)).not.toContain("test-admin-token");
  });
});
