import { copyFileSync, existsSync, readFileSync } from "node:fs";

/** Reads `.dev.vars` (created from `.dev.vars.example` on first use) into an object. */
export function devVars() {
  if (!existsSync(".dev.vars")) copyFileSync(".dev.vars.example", ".dev.vars");
  const vars = {};
  for (const line of readFileSync(".dev.vars", "utf8").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  }
  return vars;
}

export const DEV_PORT = Number(process.env.PORT ?? 8787);
export const DEV_URL = `http://127.0.0.1:${DEV_PORT}`;
