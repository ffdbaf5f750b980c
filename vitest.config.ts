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
                CONFIG_TTL_SECONDS: "0",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
        },
      },
    ],
  },
});
