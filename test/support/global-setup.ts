import type { TestProject } from "vitest/node";
import { startCaptureServer } from "./capture-server";

declare module "vitest" {
  export interface ProvidedContext {
    captureUrl: string;
  }
}

/** One capture server for the whole run; tests reach it from workerd through `inject("captureUrl")`. */
export default async function setup(project: TestProject) {
  const capture = await startCaptureServer();
  project.provide("captureUrl", capture.url);
  return () => capture.close();
}
