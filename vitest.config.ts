import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects: pure modules (formatters, matching, parsing) run in plain Node for speed;
// everything that touches bindings runs inside workerd with real KV and Durable Objects.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                INGRESS_KEYS: JSON.stringify({ "*": "test-ingress-key", rotating: ["old-key", "new-key"] }),
                ADMIN_TOKEN: "test-admin-token",
                READ_TOKEN: "test-read-token",
                CONFIG_TTL_SECONDS: "0",
                RETRY_MIN_SECONDS: "0.2",
                RETRY_MAX_SECONDS: "2",
                SECRET__FLUX_SYSTEM__GIT_WITH_CA: JSON.stringify({ token: "ghp_test", "ca.crt": "-----BEGIN CERTIFICATE-----" }),
                SECRET__FLUX_SYSTEM__HMAC_TOKEN: JSON.stringify({ token: "relay-out-key" }),
                // test/workers/logs.test.ts greps every log line for these values.
                SECRET__LOGS__LEAKY_TOKEN: JSON.stringify({ token: "leaky-token-secret-7c1", headers: "X-Api-Key: leaky-header-secret-5d2", username: "leaky-user", password: "leaky-password-secret-3a9" }),
                SECRET__LOGS__LEAKY_ADDRESS: JSON.stringify({ address: "http://127.0.0.1:9/services/leaky-address-secret-4e7/hook?key=leaky-query-secret-8b2" }),
                // event-routing-spec section 10: case 53's Secret `token: k`, and a GitHub token for 43-45 and 51.
                SECRET__FLUX_SYSTEM__ROUTING_HMAC: JSON.stringify({ token: "k" }),
                // test/workers/github-app.test.ts: a GitHub App whose private key is no RSA key.
                SECRET__FLUX_SYSTEM__GITHUB_APP_BAD_KEY: JSON.stringify({ githubAppID: "1", githubAppInstallationID: "2", githubAppPrivateKey: "-----BEGIN RSA PRIVATE KEY-----\nbm90LWEta2V5\n-----END RSA PRIVATE KEY-----\n" }),
                SECRET__FLUX_SYSTEM__ROUTING_GITHUB: JSON.stringify({ token: "ghp-routing-cases" }),
                // test/workers/security.test.ts: Secrets pinned to hosts, a malformed headers value, credentials echoed back.
                SECRET__SEC__PINNED_GITHUB: JSON.stringify({ token: "ghp-pinned-secret-91x", allowedHosts: "github.com, *.github.com" }),
                SECRET__SEC__PINNED_HOOK: JSON.stringify({ headers: "Authorization: Bearer pinned-hook-token-62y", allowedHosts: "hooks.example.com" }),
                SECRET__SEC__PINNED_LOCAL: JSON.stringify({ headers: "Authorization: Bearer pinned-local-token-18q", allowedHosts: "127.0.0.1" }),
                SECRET__SEC__BAD_HEADERS: JSON.stringify({ headers: "Authorization: Bearer hdr-leak-one-4f1\nAuthorization: Bearer hdr-leak-two-8c2: x" }),
                SECRET__SEC__ECHO: JSON.stringify({ headers: "X-Api-Key: echo/key+secret=55" }),
                SECRET__FLUX_SYSTEM__YAML_SECRET: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: yaml-secret\ndata:\n  token: YmFzZTY0LXRva2Vu\n  headers: WC1UZWFtOiBwbGF0Zm9ybQ==\nstringData:\n  token: string-data-token\n",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
