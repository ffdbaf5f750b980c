import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { azureEventHub, SAS_TOKEN_TTL_SECONDS } from "../../src/notifiers/azureeventhub";
import type { NotifyContext, ProviderSettings } from "../../src/notifiers/types";
import { expectLeaksNoSecret, expectStatusTable, formatRequest } from "../support/notifier-kit";
import { loadVectors, type Vector, vectorContext, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const NOW = Date.parse("2026-01-15T10:20:30Z");
const vectors = loadVectors("azureeventhub");
const [sasVector, jwtVector] = vectors;

interface AmqpExpectation {
  eventHubNamespace: string;
  eventHub: string;
  bodyRaw: string;
}

const context = (v: Vector) => vectorContext(v, { now: NOW });

const request = (ctx: NotifyContext) => formatRequest(azureEventHub, ctx);

function withSettings(v: Vector, patch: Partial<ProviderSettings>): ProviderSettings {
  return { ...vectorSettings(v), ...patch };
}

describe("azureeventhub vectors (AMQP in Go, the REST send endpoint here)", () => {
  for (const v of vectors) {
    it(v.name, async () => {
      const ctx = context(v);
      expect(problemMessages(azureEventHub.validate(ctx.settings))).toEqual([]);
      const req = await request(ctx);
      const amqp = v.expect as unknown as AmqpExpectation;
      expect(req.method).toBe("POST");
      expect(req.url).toBe(`https://${amqp.eventHubNamespace}/${amqp.eventHub}/messages?api-version=2014-01`);
      expect(req.body).toBe(amqp.bodyRaw);
      expect(req.headers["Content-Type"]).toBe("application/json");
    });
  }

  it("authenticates the JWT case with the token as Bearer", async () => {
    const req = await request(context(jwtVector));
    expect(req.headers.Authorization).toBe("Bearer eyJhbGciOi...");
  });
});

describe("azureeventhub SAS token", () => {
  it("signs the hub URI with the connection string's key, expiring an hour after ctx.now", async () => {
    const req = await request(context(sasVector));
    const resource = "https://fluxns.servicebus.windows.net/flux-events";
    const sr = encodeURIComponent(resource);
    const se = Math.floor(NOW / 1000) + SAS_TOKEN_TTL_SECONDS;
    // Recomputed with Node's crypto as Microsoft's "Generate SAS token" sample does.
    const sig = createHmac("sha256", "abc123=").update(`${sr}\n${se}`, "utf8").digest("base64");
    expect(req.headers.Authorization).toBe(`SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${se}&skn=send`);
    expect(se).toBe(1768476030);
  });

  it("moves the expiry with ctx.now", async () => {
    const later = await request({ ...context(sasVector), now: NOW + 60_000 });
    expect(later.headers.Authorization).toContain(`&se=${Math.floor(NOW / 1000) + SAS_TOKEN_TTL_SECONDS + 60}&`);
  });

  it("reads keys case-insensitively and keeps '=' inside values", async () => {
    // Flux detects SAS by the case-sensitive substring "SharedAccessKey"; the SDK's parser then
    // matches keys case-insensitively.
    const address = "endpoint=sb://other.servicebus.windows.net/;SharedAccessKeyName=k;sharedaccesskey=a=b=;entitypath=hub";
    const req = await request({ ...context(sasVector), settings: withSettings(sasVector, { address }) });
    expect(req.url).toBe("https://other.servicebus.windows.net/hub/messages?api-version=2014-01");
    const se = Math.floor(NOW / 1000) + SAS_TOKEN_TTL_SECONDS;
    const sr = encodeURIComponent("https://other.servicebus.windows.net/hub");
    const sig = createHmac("sha256", "a=b=").update(`${sr}\n${se}`).digest("base64");
    expect(req.headers.Authorization).toContain(`&sig=${encodeURIComponent(sig)}&`);
  });

  it("passes a ready-made SharedAccessSignature through", async () => {
    const token = "SharedAccessSignature sr=x&sig=y&se=1&skn=send";
    const address = `Endpoint=sb://fluxns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessSignature=${token};EntityPath=flux-events`;
    const req = await request({ ...context(sasVector), settings: withSettings(sasVector, { address }) });
    expect(req.headers.Authorization).toBe(token);
  });
});

describe("azureeventhub JWT namespace", () => {
  it("keeps a fully qualified namespace as it is", async () => {
    const settings = withSettings(jwtVector, { channel: "fluxns.servicebus.chinacloudapi.cn" });
    expect((await request({ ...context(jwtVector), settings })).url).toBe("https://fluxns.servicebus.chinacloudapi.cn/flux-events/messages?api-version=2014-01");
  });
});

describe("azureeventhub settings", () => {
  const problems = (v: Vector, patch: Partial<ProviderSettings>) => problemMessages(azureEventHub.validate(withSettings(v, patch)));
  const withServiceAccount = (v: Vector, token: string) => {
    const s = vectorSettings(v);
    return problemMessages(azureEventHub.validate({ ...s, token, manifest: { ...s.manifest, spec: { ...s.manifest.spec, serviceAccountName: "flux" } } }));
  };
  it("needs an address", () => {
    expect(problems(jwtVector, { address: "" })).toEqual([expect.stringMatching(/^no address/)]);
  });
  it("refuses a token next to a connection string", () => {
    expect(problems(sasVector, { token: "jwt" })).toEqual([expect.stringMatching(/cannot be set at the same time/)]);
    expect(withServiceAccount(sasVector, "")).toEqual([expect.stringMatching(/serviceAccountName .* cannot be set at the same time/)]);
  });
  it("explains unparseable connection strings without repeating them", () => {
    const cases: [string, RegExp][] = [
      ["SharedAccessKeyName=send;SharedAccessKey=k;EntityPath=h", /no Endpoint/],
      ["Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=k", /no EntityPath/],
      ["Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=k;EntityPath=h", /no SharedAccessKeyName/],
      ["Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=;EntityPath=h", /no SharedAccessKey$/],
      ["Endpoint=sb://ns.servicebus.windows.net/;garbage;SharedAccessKey=k", /part without '='/],
      ["Endpoint=not a url;SharedAccessKeyName=send;SharedAccessKey=k;EntityPath=h", /Endpoint is not a URL/],
    ];
    for (const [address, message] of cases) {
      const found = problems(sasVector, { address });
      expect(found).toEqual([expect.stringMatching(/^invalid address: the connection string/)]);
      expect(found[0]).toMatch(message);
      expect(found[0]).not.toContain("ns.servicebus");
    }
  });
  it("needs a JWT and a namespace without a connection string; workload identity is unavailable", () => {
    expect(problems(jwtVector, { token: "" })).toEqual([expect.stringMatching(/^no token: .*workload identity is not available/)]);
    expect(problems(jwtVector, { channel: "" })).toEqual([expect.stringMatching(/^no Event Hubs namespace: set spec.channel/)]);
    expect(problems(jwtVector, { channel: "sb://fluxns/" })).toEqual([expect.stringMatching(/^invalid spec.channel/)]);
    expect(withServiceAccount(jwtVector, "jwt")).toEqual([expect.stringMatching(/serviceAccountName and token authentication cannot/)]);
  });
});

describe("azureeventhub responses", () => {
  it("classifies by the shared table (201 is the REST API's success)", () => expectStatusTable(azureEventHub));
  it("leaks no secret (SAS key, connection string, JWT)", async () => {
    const sas = context(sasVector);
    await expectLeaksNoSecret(azureEventHub, sas, ["abc123=", sas.settings.address]);
    const broken = { ...sas, settings: withSettings(sasVector, { address: "Endpoint=nope;SharedAccessKey=s3cr3t-key" }) };
    await expectLeaksNoSecret(azureEventHub, broken, ["s3cr3t-key", broken.settings.address]);
    const jwt = context(jwtVector);
    await expectLeaksNoSecret(azureEventHub, jwt, [jwt.settings.token]);
  });
});
