import type { FluxEvent } from "../flux/event";
import { goJson } from "../lib/gojson";
import { httpUrlProblem, problems } from "./kit/validate";
import { isError, metadataEntries, titleOf } from "./kit/text";
import type { Notifier } from "./types";

/** `googlechat`: a legacy "cards" v1 message to a space's incoming webhook. */
export const googlechat: Notifier = {
  type: "googlechat",
  validate: (s) => problems(httpUrlProblem(s.address)),
  format: (ctx) => ({
    method: "POST",
    url: ctx.settings.address,
    headers: { "Content-Type": "application/json" },
    body: googleChatBody(ctx.event, titleOf(ctx)),
  }),
  // Google Chat usage limits: 60 message writes per 60 s per space, shared by every app and
  // webhook in the space.
  paceMs: () => 1000,
};

/** Flux's GoogleChatPayload: Go writes its nil pointers as literal `null`s. */
function googleChatBody(event: FluxEvent, title: string): string {
  const text = isError(event) ? `<font color="#ff0000">${event.message}</font>` : event.message;
  const sections: { header: string; widgets: unknown[] }[] = [{ header: "", widgets: [{ textParagraph: { text }, keyValue: null }] }];
  const entries = metadataEntries(event);
  if (entries.length > 0) {
    sections.push({
      header: "",
      widgets: entries.map(([topLabel, content]) => ({
        textParagraph: null,
        keyValue: { topLabel, content, contentMultiline: false, bottomLabel: null, icon: null },
      })),
    });
  }
  return goJson({
    cards: [{ header: { title, subtitle: event.reportingController, imageUrl: null, imageStyle: null }, sections }],
  });
}
