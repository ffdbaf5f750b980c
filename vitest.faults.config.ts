import { defineConfig } from "vitest/config";

// Fault injection (outages, crashes, slow and rude receivers) on the e2e harness, with the same
// settings as vitest.e2e.config.ts (no import between configs: Vite's native config loader
// refuses extensionless imports, and TypeScript refuses `.ts` ones).
export default defineConfig({
  test: {
    name: "faults",
    include: ["test/faults/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/support/e2e-setup.ts"],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
  },
});
