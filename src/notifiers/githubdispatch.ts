import { encodeFluxEvent } from "../flux/event";
import { goJson } from "../lib/gojson";
import { github, gitHubAuth, gitHubAuthorized, gitHubRepository } from "./github";
import type { Notifier, NotifyContext, OutboundRequest } from "./types";

/**
 * `githubdispatch`: a `repository_dispatch` event through the REST API
 * (`POST /repos/<owner>/<repo>/dispatches`), which is what go-github's Repositories.Dispatch
 * sends. `event_type` is `<Kind>/<name>.<namespace>`, `client_payload` the notified event.
 * Address, token and rate-limit handling are the `github` notifier's.
 */
export const githubDispatch: Notifier = {
  type: "githubdispatch",
  validate: github.validate,
  format: formatGitHubDispatch,
  classify: github.classify,
  // GitHub allows "no more than 80 content-generating requests per minute" per account
  // (docs.github.com, REST API rate limits, secondary rate limits); a dispatch starts workflows.
  paceMs: () => 750,
};

function formatGitHubDispatch({ event, settings }: NotifyContext): OutboundRequest {
  const { kind, namespace, name } = event.involvedObject;
  // The payload is Flux's json.Marshal of the event (the generic webhook body, HTML-escaped)
  // embedded as raw JSON, which go-github's non-escaping encoder copies as is; event_type is built
  // from Kubernetes names, which cannot contain the characters the two encoders treat differently.
  const clientPayload: unknown = JSON.parse(encodeFluxEvent(event));
  return {
    method: "POST",
    url: `${gitHubRepository(settings)}/dispatches`,
    ...gitHubAuthorized(gitHubAuth(settings)),
    // json.Encoder's trailing newline, as go-github sends it.
    body: goJson({ event_type: `${kind}/${name}.${namespace}`, client_payload: clientPayload }, { newline: true }),
  };
}
