import { describe, expect, it } from "vitest";
import { alertConditions } from "../../src/delivery/alert-status";
import { parseManifest, type AlertManifest } from "../../src/flux/manifests";
import { github } from "../../src/notifiers/github";
import { generic } from "../../src/notifiers/generic";
import { isSkip, type OutboundRequest } from "../../src/notifiers/types";
import { BODY_TEMPLATE_ANNOTATION, TEMPLATE_ANNOTATION, TITLE_TEMPLATE_ANNOTATION, withTemplates } from "../../src/rules/message-template";
import { loadVectors, vectorContext } from "../support/vectors";

const NOW = Date.parse("2026-12-03T18:00:00Z");

function alertWith(annotations: Record<string, string>): AlertManifest {
  return parseManifest("Alert", {
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    metadata: { name: "templated", namespace: "apps", annotations },
    spec: { providerRef: { name: "p" }, eventSources: [{ kind: "Kustomization", name: "*" }] },
  });
}

const genericVector = loadVectors("generic")[0];

describe("Alert templates at delivery", () => {
  it("without template annotations the context is left as it is (requests stay Flux's bytes)", () => {
    const ctx = vectorContext(genericVector, { now: NOW });
    expect(withTemplates({ ...ctx, alert: alertWith({}) }).ctx).toEqual({ ...ctx, alert: alertWith({}) });
  });

  it("renders every data field", () => {
    const tmpl = "{{.Cluster}}|{{.InvolvedObject.Kind}}/{{.InvolvedObject.Namespace}}/{{.InvolvedObject.Name}} {{.InvolvedObject.APIVersion}}|{{.Severity}}|{{.Reason}}|{{.Revision}}|{{.Alert.Namespace}}/{{.Alert.Name}}|{{.Transition}}|{{.Timestamp}}|{{len .Metadata}}";
    const base = vectorContext(genericVector, { now: NOW, event: { metadata: { revision: "main@sha1:abc", transition: "recovered" } } });
    const { ctx } = withTemplates({ ...base, cluster: "prod-eu", alert: alertWith({ [TEMPLATE_ANNOTATION]: tmpl }) });
    const e = base.event;
    expect(ctx.event.message).toBe(
      `prod-eu|${e.involvedObject.kind}/${e.involvedObject.namespace}/${e.involvedObject.name} ${e.involvedObject.apiVersion}|${e.severity}|${e.reason}|main@sha1:abc|apps/templated|recovered|${e.timestamp!.replace("T", " ").replace("Z", "")} +0000 UTC|2`,
    );
  });

  it("commit-status types put the rendered message in the description", async () => {
    const v = loadVectors("github").find((x) => (x.notifiedEvent as { severity: string }).severity === "info")!;
    const base = vectorContext(v, { now: NOW });
    const { ctx } = withTemplates({ ...base, cluster: "prod", alert: alertWith({ [TEMPLATE_ANNOTATION]: "{{ .Cluster }}: {{ .Reason }}" }) });
    const req = (await github.format(ctx)) as OutboundRequest;
    expect(isSkip(req)).toBe(false);
    expect(JSON.parse(req.body).description).toBe(`prod: ${base.event.reason}`);
  });

  it("a body template replaces the generic body with its JSON (a CloudEvent)", async () => {
    const body = `{"specversion":"1.0","type":"io.fluxcd.{{ lower .Severity }}","source":"flux-relay/{{ .Cluster }}","id":{{ printf "%s/%s" .Reason .InvolvedObject.Name | toJson }},"time":"{{ date "2006-01-02T15:04:05Z07:00" .Timestamp }}","data":{{ toJson .Metadata }}}`;
    const base = vectorContext(genericVector, { now: NOW });
    const { ctx, templateError } = withTemplates({ ...base, cluster: "prod", alert: alertWith({ [BODY_TEMPLATE_ANNOTATION]: body, [TITLE_TEMPLATE_ANNOTATION]: "unused by generic" }) });
    expect(templateError).toBeUndefined();
    const req = generic.format(ctx) as OutboundRequest;
    const sent = JSON.parse(req.body);
    expect(sent).toEqual({
      specversion: "1.0",
      type: `io.fluxcd.${base.event.severity}`,
      source: "flux-relay/prod",
      id: `${base.event.reason}/${base.event.involvedObject.name}`,
      time: base.event.timestamp,
      data: base.event.metadata,
    });
    expect(req.headers["Content-Type"]).toBe("application/json");
  });

  it("a body template whose output is not JSON falls back to Flux's body and says why", () => {
    const base = vectorContext(genericVector, { now: NOW });
    const result = withTemplates({ ...base, alert: alertWith({ [BODY_TEMPLATE_ANNOTATION]: "not {{ .Reason }}" }) });
    expect(result.ctx.rendered).toBeUndefined();
    expect(result.templateError).toMatch(/^flux-relay\.fluxcd\.io\/body-template: output is not valid JSON: .*; delivered the Flux message instead$/);
  });

  it("a render error delivers the Flux message and reports the position", () => {
    const base = vectorContext(genericVector, { now: NOW });
    const result = withTemplates({ ...base, alert: alertWith({ [TEMPLATE_ANNOTATION]: "ok\n{{ .Metadata.nope | upper }}", [TITLE_TEMPLATE_ANNOTATION]: "t" }) });
    expect(result.ctx.event.message).toBe(base.event.message);
    expect(result.ctx.rendered).toBeUndefined();
    expect(result.templateError).toBe(
      "flux-relay.fluxcd.io/template: template: 2:21: executing at <upper>: error calling upper: invalid value; expected string; delivered the Flux message instead",
    );
  });
});

describe("Alert status", () => {
  it("a template that fails to parse makes the Alert not Ready, with line and column", () => {
    const alert = alertWith({ [TITLE_TEMPLATE_ANNOTATION]: "{{ .Reason }}\n  {{ if .Message }}x" });
    const { conditions } = alertConditions({ alert, providerFound: true, dispatchFailures: [] });
    expect(conditions.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "InvalidTemplate",
      message: expect.stringMatching(/^metadata\.annotations\["flux-relay\.fluxcd\.io\/title-template"\]: line 2, column \d+: unexpected EOF/),
    });
  });
  it("a valid template keeps it Ready", () => {
    const { conditions } = alertConditions({ alert: alertWith({ [TEMPLATE_ANNOTATION]: "{{ .Message }}" }), providerFound: true, dispatchFailures: [] });
    expect(conditions.find((c) => c.type === "Ready")?.status).toBe("True");
  });
});
