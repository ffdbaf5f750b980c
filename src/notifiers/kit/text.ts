import type { FluxEvent } from "../../flux/event";
import { compareBytes } from "../../lib/gojson";
import type { NotifyContext } from "../types";

/**
 * Flux's title for an event, `kustomization/apps.flux-system` (the `objName` helper of
 * internal/notifier/util.go in fluxcd/notification-controller). Telegram passes "/" as the
 * separator before the namespace.
 */
export function objName(event: FluxEvent, namespaceSeparator = "."): string {
  const { kind, name, namespace } = event.involvedObject;
  return `${kind.toLowerCase()}/${name}${namespaceSeparator}${namespace}`;
}

/** The title line of a message: the Alert's rendered title template, else Flux's objName. */
export function titleOf(ctx: Pick<NotifyContext, "event" | "rendered">, namespaceSeparator = "."): string {
  return ctx.rendered?.title ?? objName(ctx.event, namespaceSeparator);
}

/** Whether Flux renders the event as a failure (red colour, alarm emoji). */
export function isError(event: FluxEvent): boolean {
  return event.severity === "error";
}

/**
 * Metadata as `[key, value]` pairs in sorted key order. Flux ranges over a Go map, whose order is
 * random, so every order is faithful; sorting makes bodies reproducible.
 */
export function metadataEntries(event: FluxEvent): [string, string][] {
  return Object.keys(event.metadata)
    .sort(compareBytes)
    .map((key) => [key, event.metadata[key]]);
}

/** A response body parsed as a JSON object, or undefined when it is anything else. */
export function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
