import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, captureBox, fixtureEvent, json, putProvider, sendSigned } from "../support/workers";

// Message templates delivered for real: a CloudEvents body template to a capture server, and a
// template that fails at render time (Flux's message delivered, the history row says why).

async function putAlertWith(name: string, provider: string, annotations: Record<string, string>): Promise<void> {
  await env.CONFIG.put(`alerts/flux-system/${name}`, JSON.stringify({
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    metadata: { name, namespace: "flux-system", annotations },
    spec: { providerRef: { name: provider }, eventSources: [{ kind: "Kustomization", name }] },
  }));
}

const CLOUDEVENT = `{
  "specversion": "1.0",
  "type": "io.fluxcd.{{ .InvolvedObject.Kind | lower }}.{{ .Severity }}",
  "source": "flux-relay/{{ .Cluster }}/{{ .InvolvedObject.Namespace }}",
  "subject": {{ .InvolvedObject.Name | toJson }},
  "id": {{ printf "%s-%s" .Reason (.Revision | trunc 20) | toJson }},
  "time": "{{ date "2006-01-02T15:04:05Z07:00" .Timestamp }}",
  "datacontenttype": "application/json",
  "data": {"message": {{ toJson .Message }}, "metadata": {{ toJson .Metadata }}}
}`;

describe("message templates at delivery", () => {
  it("posts a CloudEvent rendered by the body template to a generic-hmac receiver", async () => {
    const box = captureBox();
    await putProvider("cloudevents", { type: "generic-hmac", address: box.url, secretRef: { name: "hmac-token" } });
    await putAlertWith("cloudevents", "cloudevents", { "flux-relay.fluxcd.io/body-template": CLOUDEVENT });
    const event = fixtureEvent({ involvedObject: { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: "cloudevents", namespace: "flux-system" } });
    expect((await sendSigned(event, { cluster: "prod-eu" })).status).toBe(202);
    const [req] = await box.waitFor(1);
    expect(req.headers["x-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    const sent = JSON.parse(req.body);
    expect(sent).toEqual({
      specversion: "1.0",
      type: "io.fluxcd.kustomization.info",
      source: "flux-relay/prod-eu/flux-system",
      subject: "cloudevents",
      id: "ReconciliationSucceeded-main@sha1:0123456789",
      time: "2026-01-15T10:20:30Z",
      datacontenttype: "application/json",
      data: { message: event.message, metadata: { cluster: "prod-eu", revision: (event.metadata as Record<string, string>)["kustomize.toolkit.fluxcd.io/revision"] } },
    });
  });

  it("delivers Flux's message when the template fails at render time, and records why", async () => {
    const box = captureBox();
    await putProvider("render-error", { type: "generic", address: box.url });
    await putAlertWith("render-error", "render-error", { "flux-relay.fluxcd.io/template": "{{ .Metadata.nope | upper }}" });
    const event = fixtureEvent({ involvedObject: { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: "render-error", namespace: "flux-system" } });
    expect((await sendSigned(event)).status).toBe(202);
    const [req] = await box.waitFor(1);
    expect(JSON.parse(req.body).message).toBe(event.message);
    const history = await json(await admin("/providers/flux-system/render-error/deliveries"));
    const rows = history.items ?? history;
    expect(rows[0]).toMatchObject({ outcome: "delivered" });
    expect(JSON.stringify(rows[0])).toContain("flux-relay.fluxcd.io/template: template: 1:21: executing at <upper>: error calling upper: invalid value; expected string; delivered the Flux message instead");
  });
});
