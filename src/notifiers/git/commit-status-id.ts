import { encodeFluxEvent } from "../../flux/event";
import { FormatError, type NotifyContext } from "../types";
import { CelExpressionError, evaluateString } from "./cel";

/**
 * The commit status identifier (GitHub/Gitea `context`, GitLab `name`, Azure DevOps context name,
 * Bitbucket key source). With `spec.commitStatusExpr` it is that CEL expression's result over
 * `event` (the transformed event as Flux serialises it: empty `metadata` absent), `provider`
 * (the manifest) and `alert`. Without it, Flux's `lower(<kind>/<name>/<first uid segment>)`, made
 * per cluster whenever the event came through a cluster's hook, so that two clusters reporting the
 * same object on the same commit never overwrite each other's status: `/<cluster>` is appended
 * (`kustomization/apps/0c9c2e41/prod`), and without a Provider uid the cluster takes the uid's place
 * (`kustomization/apps/prod`). Without a cluster (test sends) the id is exactly Flux's.
 */
export function commitStatusId(ctx: NotifyContext): string {
  const expression = ctx.settings.manifest.spec.commitStatusExpr;
  const id = expression ? evaluateExpression(expression, ctx) : defaultId(ctx);
  if (!id) throw new FormatError("commit status cannot be empty");
  return id;
}

function defaultId({ event, settings, cluster }: NotifyContext): string {
  const uidSegment = settings.uid.split("-")[0];
  const suffix = uidSegment && cluster ? `${uidSegment}/${cluster}` : uidSegment || cluster;
  if (!suffix) {
    throw new FormatError(
      "cannot build the commit status id: the Provider has no metadata.uid and the event names no cluster; set metadata.uid or spec.commitStatusExpr",
    );
  }
  return `${event.involvedObject.kind}/${event.involvedObject.name}/${suffix}`.toLowerCase();
}

function evaluateExpression(expression: string, { event, settings, alert }: NotifyContext): string {
  try {
    return evaluateString(expression, { event: JSON.parse(encodeFluxEvent(event)), provider: settings.manifest, alert: alert ?? {} });
  } catch (err) {
    if (!(err instanceof CelExpressionError)) throw err;
    throw new FormatError(`failed to evaluate the spec.commitStatusExpr CEL expression for the event: ${err.message}`);
  }
}
