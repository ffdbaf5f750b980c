import { defineConfig } from "vitest/config";
import { harness } from "./vitest.e2e.config";

// Fault injection (outages, crashes, slow and rude receivers) on the e2e harness.
export default defineConfig({
  test: { ...harness, name: "faults", include: ["test/faults/**/*.test.ts"], testTimeout: 240_000 },
});
