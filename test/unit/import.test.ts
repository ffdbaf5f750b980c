import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describePlan, devVarsLine, planImport, updateDevVars } from "../../scripts/import-lib";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const VALID = `# the platform team's notifications
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: flux-system
spec:
  type: slack
  channel: general
  secretRef:
    name: slack-url
---
apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Alert
metadata:
  name: on-call
  namespace: flux-system
spec:
  providerRef:
    name: slack
  eventSeverity: error
  eventSources:
    - kind: HelmRelease
      name: '*'
---
apiVersion: v1
kind: Secret
metadata:
  name: slack-url
  namespace: flux-system
data:
  address: aHR0cHM6Ly9ob29rcy5zbGFjay5jb20vc2VydmljZXMvVDAwL0IwMC9YWFg=
stringData:
  token: "it's $HOME"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: unrelated
`;

const INVALID = `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: fine
  namespace: apps
spec:
  type: generic
  address: https://example.com/hook
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: Not_Valid
spec:
  type: carrier-pigeon
  timeout: eventually
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: no-sources
  namespace: apps
spec:
  eventSeverity: critical
---
apiVersion: v1
kind: Secret
metadata:
  name: broken
data:
  token: "***"
`;

function runImport(args: string[], input?: string) {
  const res = spawnSync(process.execPath, ["--experimental-transform-types", "--disable-warning=ExperimentalWarning", path.join(ROOT, "scripts/import.mjs"), ...args], {
    cwd: ROOT,
    input,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "flux-relay-import-test-")), name);
  writeFileSync(file, text);
  return file;
}

describe("import plan", () => {
  it("turns Providers and Alerts into KV writes of their own text and Secrets into decoded JSON bindings", () => {
    const plan = planImport([{ source: "m.yaml", text: VALID }]);
    expect(plan.problems).toEqual([]);
    expect(plan.entries.map((e) => (e.kind === "Secret" ? e.binding : e.key))).toEqual([
      "providers/flux-system/slack",
      "alerts/flux-system/on-call",
      "SECRET__FLUX_SYSTEM__SLACK_URL",
    ]);
    const provider = plan.entries[0] as { value: string; note?: string };
    expect(provider.value).toContain("# the platform team's notifications\napiVersion: notification.toolkit.fluxcd.io/v1beta3");
    expect(provider.note).toBeUndefined();
    const secret = plan.entries[2] as { value: string; keys: string[] };
    // Imported with the Provider that uses it: pinned to the host of its address (allowedHosts).
    expect(JSON.parse(secret.value)).toEqual({ address: "https://hooks.slack.com/services/T00/B00/XXX", token: "it's $HOME", allowedHosts: "hooks.slack.com" });
    expect(secret.keys).toEqual(["address", "allowedHosts", "token"]);
    expect(plan.skipped).toEqual(["m.yaml#4 ConfigMap default/unrelated: not a Provider, Alert or Secret; ignored"]);
    const printed = describePlan(plan, "dry run");
    expect(printed).not.toContain("hooks.slack.com");
    expect(printed).not.toContain("HOME");
  });

  it("pins a Secret to the hosts of the spec.address of every Provider imported with it, unless told not to", () => {
    const provider = (name: string, address: string) => `apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata:\n  name: ${name}\n  namespace: apps\nspec:\n  type: githubdispatch\n  address: ${address}\n  secretRef:\n    name: gh\n`;
    const secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gh\n  namespace: apps\nstringData:\n  token: ghp-import-test\n";
    const text = [provider("a", "https://github.com/org/a"), provider("b", "https://github.example.com/org/b"), secret].join("---\n");
    const plan = planImport([{ source: "gh.yaml", text }]);
    expect(plan.problems).toEqual([]);
    const pinned = plan.entries.find((e) => e.kind === "Secret") as { value: string; note?: string };
    expect(JSON.parse(pinned.value)).toEqual({ token: "ghp-import-test", allowedHosts: "github.com,github.example.com" });
    expect(describePlan(plan, "dry run")).toContain("allowedHosts written from the address its Providers use (2 hosts; opt out with --no-allowed-hosts)");
    const optedOut = planImport([{ source: "gh.yaml", text }], "default", { pinHosts: false });
    expect(JSON.parse((optedOut.entries.find((e) => e.kind === "Secret") as { value: string }).value)).toEqual({ token: "ghp-import-test" });
    // A Secret that pins its hosts already, or that no Provider of the input uses, is left as it is.
    const own = planImport([{ source: "own.yaml", text: [provider("a", "https://github.com/org/a"), `${secret}  allowedHosts: "*.github.com"\n`].join("---\n") }]);
    expect(JSON.parse((own.entries.find((e) => e.kind === "Secret") as { value: string }).value).allowedHosts).toBe("*.github.com");
    const alone = planImport([{ source: "alone.yaml", text: secret }]);
    expect(JSON.parse((alone.entries[0] as { value: string }).value)).toEqual({ token: "ghp-import-test" });
  });

  it("lists every problem of every document, with its place", () => {
    const plan = planImport([{ source: "bad.yaml", text: INVALID }]);
    expect(plan.problems).toEqual([
      expect.stringMatching(/^bad\.yaml#2 Provider default\/Not_Valid: metadata\.name: /),
      expect.stringMatching(/^bad\.yaml#2 Provider default\/Not_Valid: spec\.type: /),
      expect.stringMatching(/^bad\.yaml#2 Provider default\/Not_Valid: spec\.timeout: /),
      expect.stringMatching(/^bad\.yaml#3 Alert apps\/no-sources: spec\.providerRef: /),
      expect.stringMatching(/^bad\.yaml#3 Alert apps\/no-sources: spec\.eventSeverity: /),
      expect.stringMatching(/^bad\.yaml#3 Alert apps\/no-sources: spec\.eventSources: /),
      expect.stringMatching(/^bad\.yaml#4 Secret default\/broken: .*data\.token is not valid base64/),
    ]);
  });

  it("reports YAML errors, duplicates across files, and Secrets a Provider needs but the input lacks", () => {
    const provider = VALID.split("---")[0];
    const plan = planImport([
      { source: "a.yaml", text: provider },
      { source: "b.yaml", text: `${provider}\n---\nkind: [unclosed` },
    ]);
    expect(plan.problems).toEqual([
      expect.stringMatching(/^b\.yaml#1 Provider flux-system\/slack: providers\/flux-system\/slack is already set by a\.yaml#1$/),
      expect.stringMatching(/^b\.yaml#2: \(document\): not valid YAML/),
    ]);
    expect((plan.entries[0] as { note?: string }).note).toBe("needs secret SECRET__FLUX_SYSTEM__SLACK_URL (not in this input: put it separately)");
  });

  it("expands kind: List (kubectl get -o yaml) and gives manifests without a namespace the default one", () => {
    const list = JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [{ apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Provider", metadata: { name: "p" }, spec: { type: "generic" } }],
    });
    const plan = planImport([{ source: "-", text: list }], "team-a");
    expect(plan.problems).toEqual([]);
    expect(plan.entries).toMatchObject([{ kind: "Provider", key: "providers/team-a/p", origin: "-#1.items[0]" }]);
  });
});

describe(".dev.vars writing", () => {
  it("keeps other lines, replaces the binding in place, appends new ones", () => {
    const before = "INGRESS_KEYS=dev-ingress-key\nSECRET__A__B='{\"old\":\"x\"}'\n# comment\n";
    const after = updateDevVars(before, new Map([["SECRET__A__B", '{"token":"new"}'], ["SECRET__C__D", "{}"]]));
    expect(after).toBe("INGRESS_KEYS=dev-ingress-key\nSECRET__A__B='{\"token\":\"new\"}'\n# comment\nSECRET__C__D='{}'\n");
  });

  it("escapes quotes and dollars inside the JSON so dotenv neither ends the value nor expands variables", () => {
    const line = devVarsLine("S", JSON.stringify({ token: "it's $HOME" }));
    expect(line).toBe("S='{\"token\":\"it\\u0027s \\u0024HOME\"}'");
    expect(JSON.parse(line.slice(3, -1))).toEqual({ token: "it's $HOME" });
  });
});

describe("npm run import (the CLI)", () => {
  it("dry run of a file with invalid manifests: every problem listed, nothing applied, exit code 1", () => {
    const file = tempFile("bad.yaml", INVALID);
    const { code, stdout } = runImport(["--dry-run", file]);
    expect(code).toBe(1);
    expect(stdout).toContain("Problems (7):");
    for (const field of ["metadata.name", "spec.type", "spec.timeout", "spec.providerRef", "spec.eventSeverity", "spec.eventSources", "data.token"]) expect(stdout).toContain(field);
    expect(stdout).toContain("Nothing was applied");
  }, 60_000);

  it("applies nothing locally when one document is invalid (no KV state, no .dev.vars)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "flux-relay-import-local-"));
    const file = tempFile("mixed.yaml", `${VALID}\n---\n${INVALID}`);
    const { code } = runImport(["--local", "--persist-to", path.join(dir, "state"), "--dev-vars", path.join(dir, ".dev.vars"), file]);
    expect(code).toBe(1);
    expect(existsSync(path.join(dir, "state"))).toBe(false);
    expect(existsSync(path.join(dir, ".dev.vars"))).toBe(false);
  }, 60_000);

  it("dry run of valid input from standard input prints the plan and exits 0", () => {
    const { code, stdout } = runImport(["--dry-run", "-"], VALID);
    expect(code).toBe(0);
    expect(stdout).toContain("Plan: 2 KV writes and 1 secret (dry run)");
    expect(stdout).toContain("kv put  providers/flux-system/slack");
    expect(stdout).toContain("secret  SECRET__FLUX_SYSTEM__SLACK_URL  keys: address, allowedHosts, token");
    expect(stdout).not.toContain("hooks.slack.com");
  }, 60_000);

  it("accepts the README's multi-cluster recipe (examples/multi-cluster.yaml)", () => {
    const { code, stdout } = runImport(["--dry-run", path.join(ROOT, "examples/multi-cluster.yaml")]);
    expect(code).toBe(0);
    expect(stdout).toContain("Plan: 4 KV writes and 2 secrets (dry run)");
    for (const key of ["providers/flux-system/slack-prod", "alerts/flux-system/prod-failures", "providers/flux-system/github-status", "alerts/flux-system/commit-status-all-clusters"]) {
      expect(stdout).toContain(`kv put  ${key}`);
    }
    expect(stdout).not.toContain("needs secret");
  }, 60_000);

  it("refuses to guess a target or mix --local with --remote (usage error, exit 2)", () => {
    const file = tempFile("ok.yaml", VALID);
    expect(runImport([file]).code).toBe(2);
    expect(runImport(["--local", "--remote", file]).code).toBe(2);
    expect(runImport(["--remote", "--persist-to", "x", file]).code).toBe(2);
    expect(runImport(["--dry-run"]).code).toBe(2);
  }, 60_000);
});
