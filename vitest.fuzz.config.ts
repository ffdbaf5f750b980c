import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Fixed so a failure replays; `FUZZ_SEED=<n> npm run test:fuzz` explores elsewhere. */
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261126);

// Property-based fuzzing of the whole Worker inside workerd (real KV, Durable Objects, alarms),
// like the "workers" project of vitest.config.ts but with its own secrets: every one of them is
// searched for in response bodies and log lines, so they are long and distinctive.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          INGRESS_KEYS: JSON.stringify({ "*": "fz-ingress-key-4Jq83vT", rotating: ["fz-old-ingress-key-Pw12", "fz-new-ingress-key-Lm45"] }),
          ADMIN_TOKEN: "fz-admin-token-Xr71bQe",
          READ_TOKEN: "fz-read-token-Hy62pLm",
          CONFIG_TTL_SECONDS: "0",
          RETRY_MIN_SECONDS: "0.2",
          RETRY_MAX_SECONDS: "1",
          SECRET__FLUX_SYSTEM__FZ_HMAC: JSON.stringify({ token: "fz-provider-hmac-token-9Kd2" }),
          SECRET__FLUX_SYSTEM__FZ_HEADERS: JSON.stringify({ headers: "Authorization: Bearer fz-provider-header-token-3Vn8\nX-Api-Key: fz-provider-api-key-6Hs1" }),
          // Nothing listens on port 9: every attempt fails, so the redaction of error paths is exercised.
          SECRET__FLUX_SYSTEM__FZ_ADDRESS: JSON.stringify({ address: "http://127.0.0.1:9/hook?token=fz-provider-address-token-Zk29" }),
          SECRET__FLUX_SYSTEM__FZ_SLACK: JSON.stringify({ token: "fz-provider-slack-token-xoxb-77" }),
          // A headers value YAML cannot read: its error must name a position, never these lines.
          SECRET__FLUX_SYSTEM__FZ_BAD_HEADERS: JSON.stringify({ headers: "Authorization: Bearer fz-bad-header-token-Rt5w\nX-Api-Key: fz-bad-header-key-Gh7q: x\n  - [" }),
        },
      },
    }),
  ],
  test: {
    name: "fuzz",
    include: ["test/fuzz/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    provide: { fuzzSeed: FUZZ_SEED },
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
