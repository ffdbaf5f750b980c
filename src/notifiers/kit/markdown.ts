import type { FluxEvent } from "../../flux/event";
import { compareBytes } from "../../lib/gojson";
import { isError } from "./text";

/**
 * Flux's formatMarkdownPost (PR/MR comments, Zulip): a `## Flux Status` heading, a severity
 * emoji with `<Kind>/<namespace>/<name>`, the message, then one bullet per metadata key in sorted
 * order, leaving out `change_request` (it names the pull request the comment is already on).
 */
export function formatMarkdownPost(event: FluxEvent): string {
  const { kind, namespace, name } = event.involvedObject;
  const emoji = isError(event) ? "⚠️" : "ℹ️";
  const lines = Object.keys(event.metadata)
    .filter((key) => key !== "change_request")
    .sort(compareBytes)
    .map((key) => `* \`${key}\`: ${event.metadata[key]}\n`)
    .join("");
  return `## Flux Status\n\n${emoji} ${kind}/${namespace}/${name}\n\n${event.message}\n\nMetadata:\n${lines}`;
}
