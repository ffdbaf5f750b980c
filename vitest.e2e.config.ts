import { defineConfig } from "vitest/config";

// End-to-end against real `wrangler dev` processes (test/support/wrangler-dev.ts), driven from
// plain Node. Files run one at a time: each starts its own wrangler dev, and two cores cannot
// host several of them plus a backlog without distorting the timings the tests check.
export default defineConfig({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/support/e2e-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
  },
});
