import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/flux/manifests";
import { RelayError } from "../../src/lib/errors";

function problems(kind: "Provider" | "Alert", doc: unknown, where?: { namespace: string; name: string }): string[] {
  try {
    parseManifest(kind, doc, where);
  } catch (err) {
    return (err as RelayError).details;
  }
  return [];
}

const provider = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
  kind: "Provider",
  metadata: { name: "p", namespace: "flux-system" },
  spec,
  ...extra,
});

describe("parseManifest", () => {
  it("applies CRD defaults to an Alert from YAML", () => {
    const alert = parseManifest("Alert", "apiVersion: notification.toolkit.fluxcd.io/v1beta2\nkind: Alert\nmetadata: {name: a}\nspec:\n  providerRef: {name: p}\n  eventSources: [{kind: Kustomization, name: '*'}]\n", { namespace: "apps", name: "a" });
    expect(alert.spec).toMatchObject({ eventSeverity: "info", suspend: false, inclusionList: [], exclusionList: [], eventMetadata: {} });
    expect(alert.metadata.namespace).toBe("apps");
  });

  it("accepts a body with leading or trailing `---` and refuses several manifests in plain words", () => {
    const yaml = "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata: {name: a}\nspec:\n  providerRef: {name: p}\n  eventSources: [{kind: Kustomization, name: '*'}]\n";
    for (const body of [`${yaml}---\n`, `---\n${yaml}`, `---\n${yaml}---\n# nothing here\n---\n`]) {
      expect(parseManifest("Alert", body, { namespace: "apps", name: "a" }).spec.providerRef.name).toBe("p");
    }
    const two = problems("Alert", `${yaml}---\n${yaml}`, { namespace: "apps", name: "a" });
    expect(two).toEqual(["(document): the body holds 2 YAML documents; PUT one Alert per request (npm run import applies a multi-document file)"]);
    expect(two.join()).not.toMatch(/parseAllDocuments/);
  });

  it("lists per-field and cross-field problems in one answer", () => {
    const found = problems("Provider", provider({ type: "slack", timeout: "1h", commitStatusExpr: "x" }, { metadata: { name: "q", namespace: "other" } }), { namespace: "flux-system", name: "p" });
    expect(found).toEqual([
      expect.stringMatching(/^spec\.timeout: /),
      expect.stringMatching(/^spec\.commitStatusExpr: .*only supported/),
      expect.stringMatching(/^metadata\.name: is "q"/),
      expect.stringMatching(/^metadata\.namespace: is "other"/),
    ]);
  });

  it("refuses v1beta3-only fields on v1beta2 and unknown types", () => {
    expect(problems("Provider", provider({ type: "github", serviceAccountName: "sa" }, { apiVersion: "notification.toolkit.fluxcd.io/v1beta2" }))).toEqual([
      "spec.serviceAccountName: not a field of notification.toolkit.fluxcd.io/v1beta2",
    ]);
    expect(problems("Provider", provider({ type: "carrier-pigeon" }))[0]).toMatch(/^spec\.type: /);
  });

  it("names the document when it is not YAML", () => {
    expect(problems("Alert", "a: [")[0]).toMatch(/^\(document\): not valid YAML or JSON/);
  });
});
