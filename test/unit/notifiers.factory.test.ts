import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/flux/manifests";
import { resolveProvider } from "../../src/notifiers/factory";

const provider = (spec: Record<string, unknown>) =>
  parseManifest("Provider", {
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Provider",
    metadata: { name: "p", namespace: "flux-system" },
    spec: { secretRef: { name: "auth" }, ...spec },
  });
const resolve = (spec: Record<string, unknown>, secret: Record<string, string>) => resolveProvider(provider(spec), { SECRET__FLUX_SYSTEM__AUTH: JSON.stringify(secret) });

describe("resolveProvider: Flux wire details", () => {
  it("reports a client certificate (tls.crt/tls.key) in a git provider's Secret as Unsupported, like ca.crt", () => {
    const { problems } = resolve({ type: "github", address: "https://github.com/o/r" }, { token: "ghp_x", "tls.crt": "CERT", "tls.key": "KEY" });
    expect(problems).toEqual([expect.objectContaining({ reason: "Unsupported", stalled: true, message: expect.stringMatching(/^a client certificate \(tls\.crt and tls\.key in the Secret, mTLS\)/) })]);
    expect(resolve({ type: "generic", address: "https://example.com/h" }, { "tls.crt": "CERT" }).problems).toEqual([]);
  });

  it("fails headers whose values are not strings, as Flux's map[string]string does", () => {
    const { problems, settings } = resolve({ type: "generic", address: "https://example.com/h" }, { headers: "X-Count: 42\nX-On: true\n" });
    expect(problems).toEqual([expect.objectContaining({ reason: "ValidationFailed", message: "failed to read headers from the Secret: the value of header X-Count is a number, not a string: quote it in the YAML" })]);
    expect(settings?.headers).toEqual({});
    expect(resolve({ type: "generic", address: "https://example.com/h" }, { headers: 'X-Count: "42"\nX-Empty:\n' }).settings?.headers).toEqual({ "X-Count": "42", "X-Empty": "" });
  });

  it("reports serviceAccountName as not available, except for azureeventhub which reports it itself", () => {
    const { problems } = resolve({ type: "googlepubsub", address: "project", channel: "topic", serviceAccountName: "flux" }, { token: "{}" });
    expect(problems).toContainEqual(expect.objectContaining({ reason: "Unsupported", message: expect.stringMatching(/^spec\.serviceAccountName \(object-level workload identity\) is not available to the relay/) }));
    const hub = resolve({ type: "azureeventhub", address: "hub", channel: "ns", serviceAccountName: "flux" }, { token: "jwt" });
    expect(hub.problems.map((p) => p.message)).toEqual(["spec.serviceAccountName and token authentication cannot be set at the same time"]);
  });
});
