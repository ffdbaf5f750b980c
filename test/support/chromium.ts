import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { aptInstall } from "./apt";

export const CHROMIUM = "/usr/bin/chromium";

/** Quiet, offline, disposable headless Chromium (no sandbox: tests run as root in containers). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Installs Debian's chromium when it is absent, so a fresh machine (or CI) needs no manual step.
 * playwright-core's own browser download is not used: only the distribution's package is reachable.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  aptInstall(["chromium"], { recommends: true });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is missing`);
  return CHROMIUM;
}

/**
 * A browser with a fresh profile. Playwright takes the profile directory as an argument of
 * launchPersistentContext (it refuses --user-data-dir among the flags).
 */
export async function launchChromium(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "flux-relay-chromium-")), {
    executablePath: ensureChromium(),
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 900 },
  });
}
