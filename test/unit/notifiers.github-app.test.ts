import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { appJwt, gitHubApp, privateKeyDer } from "../../src/notifiers/git/github-app";
import { github } from "../../src/notifiers/github";
import { githubDispatch } from "../../src/notifiers/githubdispatch";
import { formatRequest } from "../support/notifier-kit";
import { vectorContext } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";
import { loadVectors, vectorSettings } from "../support/vectors";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
// GitHub hands out App keys as PKCS#1 (`BEGIN RSA PRIVATE KEY`).
const PKCS1 = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const PKCS8 = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const settings = vectorSettings(loadVectors("github")[0]);

describe("GitHub App settings (fluxcd/pkg auth/githubapp)", () => {
  it("wraps a PKCS#1 key into the PKCS#8 WebCrypto imports, identical to Node's own PKCS#8 export", () => {
    expect(Buffer.from(privateKeyDer(PKCS1)).toString("base64")).toBe(PKCS8.replace(/-----[A-Z ]+-----|\s/g, ""));
  });

  it("signs a JWT with iss = the App id, issued 30 s in the past for two minutes", async () => {
    const app = gitHubApp({ githubAppID: "42", githubAppInstallationID: "7", githubAppPrivateKey: PKCS1 })!;
    expect(app.api).toBe("https://api.github.com/");
    const jwt = await appJwt(app, Date.UTC(2026, 0, 1) + 500);
    const claims = JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
    expect(claims).toEqual({ iss: "42", exp: Date.UTC(2026, 0, 1) / 1000 - 30 + 120, iat: Date.UTC(2026, 0, 1) / 1000 - 30 });
  });

  it("reports what Flux reports, without quoting the key", () => {
    const problems = (secret: Record<string, string>) => problemMessages(github.validate({ ...settings, token: "", password: "", secret }));
    expect(problems({})[0]).toMatch(/^github token or github app details must be specified/);
    expect(problems({ githubAppID: "x" })[0]).toMatch(/^app ID must be provided/);
    expect(problems({ githubAppID: "1", githubAppPrivateKey: PKCS1 })[0]).toMatch(/^app installation owner or ID must be provided/);
    expect(problems({ githubAppID: "1", githubAppInstallationID: "2", githubAppInstallationOwner: "o", githubAppPrivateKey: PKCS1 })[0]).toMatch(/^only one of app installation owner or ID/);
    expect(problems({ githubAppID: "1", githubAppInstallationID: "2" })[0]).toMatch(/^private key must be provided/);
    const bad = problems({ githubAppID: "1", githubAppInstallationID: "2", githubAppPrivateKey: "s3cret-not-a-pem" });
    expect(bad[0]).toMatch(/^could not parse private key/);
    expect(bad.join()).not.toContain("s3cret");
    expect(problems({ githubAppID: "1", githubAppInstallationID: "2", githubAppPrivateKey: PKCS8, githubAppBaseURL: "https://ghe.example.com/api/v3" })).toEqual([]);
    expect(gitHubApp({ githubAppID: "1", githubAppInstallationID: "2", githubAppPrivateKey: PKCS8, githubAppBaseURL: "https://ghe.example.com/api/v3" })!.api).toBe("https://ghe.example.com/api/v3/");
  });

  it("prefers the token, as Flux does", () => {
    expect(problemMessages(github.validate({ ...settings, token: "ghp_x", secret: { githubAppID: "1" } }))).toEqual([]);
  });

  it("leaves Authorization to the transport for an App, on githubdispatch as on github", async () => {
    const secret = { githubAppID: "42", githubAppInstallationID: "7", githubAppPrivateKey: PKCS1 };
    const ctx = vectorContext(loadVectors("githubdispatch")[0], { settings: { token: "", password: "", secret } });
    const req = await formatRequest(githubDispatch, ctx);
    expect(req.headers.Authorization).toBeUndefined();
    expect(req.gitHubApp).toMatchObject({ as: "installation", app: { appId: "42", installationId: "7", api: "https://api.github.com/" } });
  });
});
