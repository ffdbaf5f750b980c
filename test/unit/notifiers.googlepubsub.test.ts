import { beforeAll, describe, expect, it } from "vitest";
import { googlePubSub } from "../../src/notifiers/googlepubsub";
import { notifierFor } from "../../src/notifiers/registry";
import { isSkip, type NotifyContext, type OutboundRequest } from "../../src/notifiers/types";
import { calls, exchange, expectExchangeLeaksNoSecret, fakeSend } from "../support/exchange-kit";
import { expectLeaksNoSecret, expectStatusTable, response } from "../support/notifier-kit";
import { loadVectors, notifiedEvent, vectorSettings, type Vector } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const NOW = Date.parse("2026-01-15T10:20:30Z");
const TOKEN_URI = "https://oauth2.fake.test/token";
const PUBLISH = "https://pubsub.googleapis.com/v1/projects/my-gcp-project/topics/flux-events:publish";
const vectors = loadVectors("googlepubsub");

let keyPair: CryptoKeyPair;
let pem: string;

beforeAll(async () => {
  keyPair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const der = Buffer.from((await crypto.subtle.exportKey("pkcs8", keyPair.privateKey)) as ArrayBuffer).toString("base64");
  pem = `-----BEGIN PRIVATE KEY-----\n${der.match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`;
});

let accounts = 0;

/**
 * A service-account key as the Google console issues it, for a fresh account each time: access
 * tokens are cached per key for the module's lifetime, so tests do not share them by accident.
 */
function serviceAccount(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: "service_account",
    project_id: "my-gcp-project",
    private_key_id: "0123abcd",
    private_key: pem,
    client_email: `relay-${++accounts}@my-gcp-project.iam.gserviceaccount.com`,
    client_id: "1234567890",
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: TOKEN_URI,
    ...overrides,
  });
}

function context(v: Vector, key = serviceAccount(), now = NOW): NotifyContext {
  const settings = vectorSettings(v);
  return { event: notifiedEvent(v), settings: { ...settings, token: key, secret: { ...settings.secret, token: key } }, now };
}

/** Google's token endpoint and Pub/Sub, answering as they do when all is well. */
function google(overrides: (req: OutboundRequest) => ReturnType<typeof response> | undefined = () => undefined) {
  let granted = 0;
  return fakeSend(googlePubSub, (req) => {
    const custom = overrides(req);
    if (custom) return custom;
    if (req.url === TOKEN_URI) return response(200, JSON.stringify({ access_token: `ya29.token-${++granted}`, expires_in: 3599, token_type: "Bearer" }));
    return response(200, '{"messageIds":["4242"]}');
  });
}

function decodeJwtPart(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

describe("googlepubsub vectors", () => {
  it("is registered", () => expect(notifierFor("googlepubsub")).toBe(googlePubSub));

  for (const v of vectors) {
    it(`${v.name}: publishes the notified event byte for byte, with the Secret's headers as attributes`, async () => {
      const ctx = context(v);
      expect(problemMessages(googlePubSub.validate(ctx.settings))).toEqual([]);
      const send = google();
      expect(await exchange(googlePubSub, ctx, send)).toEqual({ outcome: "delivered" });
      expect(calls(send)).toEqual([`POST ${TOKEN_URI}`, `POST ${PUBLISH}`]);
      const publish = send.requests[1];
      expect(publish.headers).toEqual({ "Content-Type": "application/json", Authorization: "Bearer ya29.token-1" });
      const { messages } = JSON.parse(publish.body) as { messages: { data: string; attributes?: Record<string, string> }[] };
      expect(messages).toHaveLength(1);
      expect(Buffer.from(messages[0].data, "base64").toString("utf8")).toBe(v.expect.bodyRaw);
      // Flux passes nil attributes when the map is empty; the REST message then has none.
      expect(messages[0].attributes).toEqual((v.expect as { attributes?: unknown }).attributes ?? undefined);
      const formatted = await googlePubSub.format(ctx);
      expect(isSkip(formatted) ? undefined : formatted.body).toBe(publish.body);
    });
  }
});

describe("googlepubsub service-account grant", () => {
  it("signs an RS256 JWT-bearer assertion for the Pub/Sub scope with the service-account key", async () => {
    const key = serviceAccount();
    const send = google();
    await exchange(googlePubSub, context(vectors[0], key), send);
    const grant = send.requests[0];
    expect(grant.headers).toEqual({ "Content-Type": "application/x-www-form-urlencoded" });
    const form = new URLSearchParams(grant.body);
    expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
    const [header, claims, signature] = form.get("assertion")!.split(".");
    expect(decodeJwtPart(header)).toEqual({ alg: "RS256", typ: "JWT", kid: "0123abcd" });
    const iat = NOW / 1000;
    expect(decodeJwtPart(claims)).toEqual({ iss: JSON.parse(key).client_email, scope: "https://www.googleapis.com/auth/pubsub", aud: TOKEN_URI, exp: iat + 3600, iat });
    const valid = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", keyPair.publicKey, Buffer.from(signature, "base64url"), new TextEncoder().encode(`${header}.${claims}`));
    expect(valid).toBe(true);
  });

  it("uses Google's token endpoint unless the key names its own token_uri", async () => {
    const send = google((req) => (req.url === "https://oauth2.googleapis.com/token" ? response(200, '{"access_token":"ya29.default","expires_in":3599}') : undefined));
    await exchange(googlePubSub, context(vectors[0], serviceAccount({ token_uri: undefined })), send);
    expect(calls(send)[0]).toBe("POST https://oauth2.googleapis.com/token");
  });

  it("reuses the access token until five minutes before it expires", async () => {
    const key = serviceAccount();
    const send = google();
    await exchange(googlePubSub, context(vectors[0], key), send);
    await exchange(googlePubSub, context(vectors[1], key, NOW + 54 * 60_000), send);
    expect(calls(send)).toEqual([`POST ${TOKEN_URI}`, `POST ${PUBLISH}`, `POST ${PUBLISH}`]);
    await exchange(googlePubSub, context(vectors[1], key, NOW + 56 * 60_000), send);
    expect(calls(send).slice(3)).toEqual([`POST ${TOKEN_URI}`, `POST ${PUBLISH}`]);
    expect(send.requests[4].headers.Authorization).toBe("Bearer ya29.token-2");
  });

  it("grants a new token once when Pub/Sub refuses a cached one", async () => {
    const key = serviceAccount();
    await exchange(googlePubSub, context(vectors[0], key), google());
    const send = google((req) => {
      if (req.url === TOKEN_URI) return response(200, '{"access_token":"ya29.fresh","expires_in":3599}');
      if (req.headers.Authorization === "Bearer ya29.token-1") return response(401, '{"error":{"code":401,"status":"UNAUTHENTICATED"}}');
      return undefined;
    });
    expect(await exchange(googlePubSub, context(vectors[0], key), send)).toEqual({ outcome: "delivered" });
    expect(calls(send)).toEqual([`POST ${PUBLISH}`, `POST ${TOKEN_URI}`, `POST ${PUBLISH}`]);
    expect(send.requests[2].headers.Authorization).toBe("Bearer ya29.fresh");
  });

  it("does not loop when a fresh token is refused too", async () => {
    const send = google((req) => (req.url === PUBLISH ? response(401, "unauthenticated") : undefined));
    expect(await exchange(googlePubSub, context(vectors[0]), send)).toEqual({
      outcome: "permanent",
      reason: "error publishing to GCP Pub/Sub topic projects/my-gcp-project/topics/flux-events: HTTP 401: unauthenticated",
    });
    expect(send.requests).toHaveLength(2);
  });

  it("reports a refused grant without publishing", async () => {
    const send = google((req) => (req.url === TOKEN_URI ? response(400, '{"error":"invalid_grant","error_description":"Invalid JWT Signature."}') : undefined));
    expect(await exchange(googlePubSub, context(vectors[0]), send)).toEqual({
      outcome: "permanent",
      reason: 'failed to get an access token for the service account: HTTP 400: {"error":"invalid_grant","error_description":"Invalid JWT Signature."}',
    });
    expect(send.requests).toHaveLength(1);
  });

  it("refuses a grant answer without an access token", async () => {
    const send = google((req) => (req.url === TOKEN_URI ? response(200, "{}") : undefined));
    expect(await exchange(googlePubSub, context(vectors[0]), send)).toMatchObject({ outcome: "permanent", reason: expect.stringContaining("no access_token") });
  });

  it("retries what Pub/Sub asks to retry, naming the topic as Flux does", async () => {
    const send = google((req) => (req.url === PUBLISH ? response(503, "unavailable", { "Retry-After": "3" }) : undefined));
    expect(await exchange(googlePubSub, context(vectors[0]), send)).toEqual({
      outcome: "retry",
      reason: "error publishing to GCP Pub/Sub topic projects/my-gcp-project/topics/flux-events: HTTP 503: unavailable",
      retryAfterMs: 3000,
    });
  });

  it("refuses a private key WebCrypto cannot import", async () => {
    const broken = serviceAccount({ private_key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" });
    await expect(exchange(googlePubSub, context(vectors[0], broken), google())).rejects.toThrow("invalid service-account key: private_key is not a PKCS#8 RSA key");
  });
});

describe("googlepubsub settings", () => {
  const base = () => context(vectors[0]).settings;

  it("needs a project, a topic and a service-account key, with Flux's words for the first two", () => {
    expect(problemMessages(googlePubSub.validate({ ...base(), address: "" }))).toEqual([expect.stringMatching(/^GCP project ID cannot be empty/)]);
    expect(problemMessages(googlePubSub.validate({ ...base(), channel: "" }))).toEqual([expect.stringMatching(/^GCP Pub\/Sub topic ID cannot be empty/)]);
    expect(problemMessages(googlePubSub.validate({ ...base(), token: "" }))).toEqual([expect.stringMatching(/^no service-account key: .*workload identity is not available/)]);
  });

  it("explains what is wrong with the key without quoting it", () => {
    const problem = (token: string) => problemMessages(googlePubSub.validate({ ...base(), token }));
    expect(problem("not json")).toEqual(["invalid service-account key: the Secret's token key is not JSON"]);
    expect(problem(serviceAccount({ type: "authorized_user" }))).toEqual([expect.stringMatching(/^unsupported credentials/)]);
    expect(problem(serviceAccount({ client_email: "" }))).toEqual(["invalid service-account key: client_email is missing"]);
    expect(problem(serviceAccount({ private_key: "secret" }))).toEqual(["invalid service-account key: private_key is missing or not a PKCS#8 PEM key"]);
    expect(problem(serviceAccount({ token_uri: "file:///etc/passwd" }))).toEqual(["invalid service-account key: token_uri is not an http(s) URL"]);
  });

  it("escapes the project and topic into the path", async () => {
    const ctx = context(vectors[1]);
    ctx.settings = { ...ctx.settings, channel: "flux events/x" };
    const req = await googlePubSub.format(ctx);
    expect(isSkip(req) ? "" : req.url).toBe("https://pubsub.googleapis.com/v1/projects/my-gcp-project/topics/flux%20events%2Fx:publish");
  });
});

describe("googlepubsub responses", () => {
  it("classifies by the shared table", () => expectStatusTable(googlePubSub));

  it("leaks no secret, the key and its private key included", async () => {
    const ctx = context(vectors[0]);
    const secrets = [ctx.settings.token, pem.split("\n")[1]];
    await expectLeaksNoSecret(googlePubSub, ctx, secrets);
    await expectExchangeLeaksNoSecret(googlePubSub, ctx, secrets);
  });
});
