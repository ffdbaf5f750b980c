import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, captureBox, fixtureEvent, json, putProvider, SHA } from "../support/workers";

// POST /api/v1/alerts/:ns/:name/preview: the exact request, secrets redacted, nothing sent.
// Secrets come from the test config (vitest.config.ts): SECRET__LOGS__LEAKY_TOKEN holds
// `leaky-token-secret-7c1`, SECRET__FLUX_SYSTEM__GIT_WITH_CA the GitHub token `ghp_test`.

async function putAlertWith(namespace: string, name: string, provider: string, annotations: Record<string, string>): Promise<void> {
  await env.CONFIG.put(`alerts/${namespace}/${name}`, JSON.stringify({
    apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    metadata: { name, namespace, annotations },
    spec: { providerRef: { name: provider }, eventSources: [{ kind: "Kustomization", name: "*", namespace: "flux-system" }] },
  }));
}

const preview = (path: string, body = "") => admin(`/alerts/${path}/preview?cluster=prod-eu`, { method: "POST", body, headers: { "content-type": "application/json" } });

describe("alert preview", () => {
  const slackBox = captureBox();
  const gitBox = captureBox();

  beforeAll(async () => {
    await putProvider("slack", { type: "slack", address: slackBox.url, channel: "ops", secretRef: { name: "leaky-token" } }, { namespace: "logs" });
    await putAlertWith("logs", "to-slack", "slack", {
      "flux-relay.fluxcd.io/template": "{{ .Cluster }}: {{ .Message | trunc 40 }}",
      "flux-relay.fluxcd.io/title-template": "{{ .InvolvedObject.Kind }} {{ .InvolvedObject.Name }} ({{ .Severity }})",
    });
    await putProvider("github", { type: "github", address: `${new URL(gitBox.url).origin}/acme/app`, secretRef: { name: "git-with-ca" } });
    await putAlertWith("flux-system", "to-github", "github", { "flux-relay.fluxcd.io/template": "{{ .Cluster }} {{ .Reason }} {{ .Revision | trunc 12 }}" });
    await putAlertWith("flux-system", "changes-only", "github", { "flux-relay.fluxcd.io/notify": "changes", "flux-relay.fluxcd.io/template": "{{ .Transition }}" });
  });

  it("answers Slack's exact request with the token redacted, and sends nothing", async () => {
    const res = await preview("logs/to-slack", JSON.stringify(fixtureEvent()));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain("leaky-token-secret-7c1");
    const body = JSON.parse(text);
    expect(body).toMatchObject({ alert: { namespace: "logs", name: "to-slack" }, cluster: "prod-eu", provider: { namespace: "logs", name: "slack", type: "slack" } });
    expect(body.previews).toHaveLength(1);
    const [p] = body.previews;
    expect(p.matched).toBe(true);
    expect(p.noise).toMatchObject({ deliver: true, outcome: "delivered" });
    expect(p.request).toMatchObject({ method: "POST", url: slackBox.url, headers: { "Content-Type": "application/json", Authorization: "[redacted]" } });
    const attachment = JSON.parse(p.request.body).attachments[0];
    expect(attachment.text).toBe(`prod-eu: ${"Applied revision: main@sha1:" + SHA}`.slice(0, "prod-eu: ".length + 40));
    expect(attachment.author_name).toBe("Kustomization apps (info)");
    expect(p.template.rendered.title).toBe("Kustomization apps (info)");
    expect(await slackBox.requests()).toEqual([]);
  });

  it("answers GitHub's commit status with the token redacted and the template as description, and sends nothing", async () => {
    const res = await preview("flux-system/to-github", JSON.stringify(fixtureEvent({ severity: "error", reason: "HealthCheckFailed", message: "timeout" })));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain("ghp_test");
    const [p] = JSON.parse(text).previews;
    expect(p.request.method).toBe("POST");
    expect(p.request.url).toBe(`${new URL(gitBox.url).origin}/api/v3/repos/acme/app/statuses/${SHA}`);
    expect(p.request.headers.Authorization).toBe("[redacted]");
    expect(JSON.parse(p.request.body)).toMatchObject({ state: "failure", description: "prod-eu HealthCheckFailed main@sha1:01" });
    await new Promise((r) => setTimeout(r, 200));
    expect(await gitBox.requests()).toEqual([]);
    const history = await json(await admin("/providers/flux-system/github/deliveries"));
    expect(history.items ?? history).toHaveLength(0);
  });

  it("previews a sample event per severity when the body is empty, with noise control's decision", async () => {
    const body = await json(await preview("flux-system/changes-only"));
    expect(body.previews.map((p: { event: { severity: string } }) => p.event.severity)).toEqual(["info", "error"]);
    const [info, error] = body.previews;
    expect(info.noise).toMatchObject({ deliver: false, outcome: "suppressed" });
    expect(error.noise).toMatchObject({ deliver: true, outcome: "delivered", transition: "failing" });
    expect(error.event.metadata.transition).toBe("failing");
    expect(JSON.parse(error.request.body).description).toBe("failing");
  });

  it("reports a template that fails to parse and previews Flux's message instead", async () => {
    await putAlertWith("logs", "broken", "slack", { "flux-relay.fluxcd.io/template": "{{ if .Message }}" });
    const [p] = (await json(await preview("logs/broken", JSON.stringify(fixtureEvent())))).previews;
    expect(p.template.error).toMatch(/^flux-relay\.fluxcd\.io\/template: template: 1:\d+: unexpected EOF/);
    expect(JSON.parse(p.request.body).attachments[0].text).toBe(`Applied revision: main@sha1:${SHA}`);
  });

  it("answers 404 for an unknown Alert and 400 for a bad event or cluster", async () => {
    expect((await preview("logs/nope")).status).toBe(404);
    expect((await preview("logs/to-slack", "{not json")).status).toBe(400);
    expect((await admin("/alerts/logs/to-slack/preview?cluster=Bad_Name", { method: "POST" })).status).toBe(400);
  });
});
