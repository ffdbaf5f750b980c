import { execFileSync } from "node:child_process";

/** Long enough for another test process's install (chromium is ~100 MB) to finish first. */
const LOCK_WAIT_SECONDS = 600;

let updated = false;

/**
 * Installs Debian packages for the e2e suites (root only; `npm test` never calls this). apt-get
 * waits for dpkg's lock instead of failing at once, because two test processes (or a developer's
 * parallel runs) may install their receivers at the same moment. `recommends` brings what a
 * package suggests with it (fonts, for chromium's screenshots).
 */
export function aptInstall(packages: string[], { recommends = false } = {}): void {
  if (process.getuid?.() !== 0) throw new Error(`not root: install ${packages.join(" ")} with apt-get first`);
  const apt = (args: string[]) =>
    execFileSync("apt-get", ["-o", `DPkg::Lock::Timeout=${LOCK_WAIT_SECONDS}`, ...args], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      timeout: (LOCK_WAIT_SECONDS + 540) * 1000,
    });
  if (!updated) apt(["update"]);
  updated = true;
  apt(["install", "-y", ...(recommends ? [] : ["--no-install-recommends"]), ...packages]);
}
