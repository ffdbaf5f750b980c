import { goJson, sortedRecord } from "../lib/gojson";
import { sha256Hex } from "../lib/crypto";
import { httpUrlProblem, problems, tokenProblem } from "./kit/validate";
import { splitUserinfo } from "./kit/http-auth";
import type { Notifier, NotifyContext, OutboundRequest } from "./types";

/**
 * `opsgenie`: an Alert API v2 alert with `Authorization: GenieKey <token>`. The alias hashes the
 * Provider UID, object and reason, so Opsgenie folds repeats of one failure into one alert per
 * Provider (fluxcd/notification-controller#1292). The relay adds the sending cluster after the UID
 * when there is one, so the same failure in two clusters is two alerts, with or without a UID on
 * the Provider; without a cluster (test sends) the alias is exactly Flux's.
 */
export const opsgenie: Notifier = {
  type: "opsgenie",
  validate: (s) => problems(httpUrlProblem(s.address), tokenProblem(s.token, "Opsgenie API key")),
  format: formatOpsgenie,
};

async function formatOpsgenie({ event, settings, cluster, rendered }: NotifyContext): Promise<OutboundRequest> {
  const { kind, namespace, name } = event.involvedObject;
  // Field order of Flux's OpsgenieAlert struct; `severity` overwrites a metadata key of that name.
  const body = goJson({
    message: rendered?.title ?? `${kind}/${name}`,
    alias: await sha256Hex(`${settings.uid}/${cluster ? `${cluster}/` : ""}${kind}/${namespace}/${name}/${event.reason}`),
    description: event.message,
    details: sortedRecord({ ...event.metadata, severity: event.severity }),
  });
  // The GenieKey header always wins over URL credentials, as in Go's net/http.
  const { url } = splitUserinfo(settings.address);
  return { method: "POST", url, headers: { "Content-Type": "application/json", Authorization: `GenieKey ${settings.token}` }, body };
}
