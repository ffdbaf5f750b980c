import type { ProviderType } from "../flux/manifests";
import { generic } from "./generic";
import { genericHmac } from "./generic-hmac";
import { discord } from "./discord";
import { googlechat } from "./googlechat";
import { lark } from "./lark";
import { matrix } from "./matrix";
import { msteams } from "./msteams";
import { rocket } from "./rocket";
import { slack } from "./slack";
import { telegram } from "./telegram";
import { webex } from "./webex";
import { azureDevOps } from "./azuredevops";
import { bitbucket } from "./bitbucket";
import { bitbucketServer } from "./bitbucketserver";
import { gitea } from "./gitea";
import { github } from "./github";
import { gitlab } from "./gitlab";
import { alertmanager } from "./alertmanager";
import { azureEventHub } from "./azureeventhub";
import { datadog } from "./datadog";
import { githubDispatch } from "./githubdispatch";
import { giteaPullRequestComment } from "./giteapullrequestcomment";
import { githubPullRequestComment } from "./githubpullrequestcomment";
import { gitlabMergeRequestComment } from "./gitlabmergerequestcomment";
import { googlePubSub } from "./googlepubsub";
import { otel } from "./otel";
import { zulip } from "./zulip";
import { grafana } from "./grafana";
import { opsgenie } from "./opsgenie";
import { pagerduty } from "./pagerduty";
import { sentry } from "./sentry";
import { zoom } from "./zoom";
import { nats } from "./nats";
import { incidentio } from "./incidentio";
import type { Notifier } from "./types";

/** Every implemented Provider type, keyed by `spec.type`. */
const notifiers: Notifier[] = [generic, genericHmac, slack, msteams, discord, googlechat, rocket, matrix, lark, webex, telegram, github, gitlab, gitea, bitbucket, bitbucketServer, azureDevOps, sentry, opsgenie, alertmanager, grafana, githubDispatch, azureEventHub, pagerduty, datadog, githubPullRequestComment, gitlabMergeRequestComment, giteaPullRequestComment, googlePubSub, zulip, otel, zoom, incidentio, nats];

const registry = new Map<ProviderType, Notifier>(notifiers.map((n) => [n.type, n]));

/** The notifier for a type, or undefined when the relay does not implement it (yet). */
export function notifierFor(type: ProviderType): Notifier | undefined {
  return registry.get(type);
}

export function implementedTypes(): ProviderType[] {
  return [...registry.keys()];
}
