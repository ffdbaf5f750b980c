import { expect } from "vitest";
import { classifyResponse } from "../../src/notifiers/classify";
import type { Classification, Notifier, NotifyContext, OutboundRequest, ProviderSettings, ResponseSnapshot } from "../../src/notifiers/types";
import { isSkip } from "../../src/notifiers/types";
import { problemMessages } from "../../src/notifiers/kit/validate";

/** The request a notifier formats for `ctx`; a Skip fails the test. */
export async function formatRequest(notifier: Notifier, ctx: NotifyContext): Promise<OutboundRequest> {
  const req = await notifier.format(ctx);
  if (isSkip(req)) throw new Error(`unexpected skip: ${req.skip}`);
  return req;
}

/** A response as the transport would hand it to a classifier. */
export function response(status: number, body = "", headers: Record<string, string> = {}): ResponseSnapshot {
  return { status, body, headers: new Headers(headers) };
}

/** The notifier's classification of a response, falling back to the shared classifier. */
export function classifyWith(notifier: Notifier, res: ResponseSnapshot): Classification {
  return notifier.classify?.(res) ?? classifyResponse(res);
}

/**
 * The shared status table every notifier runs through (Alertmanager's notify/test kit):
 * 2xx delivered, 408/429/5xx-but-501 retried, every other status permanent.
 */
export const STATUS_TABLE: [number, Classification["outcome"]][] = [
  [200, "delivered"], [201, "delivered"], [202, "delivered"], [204, "delivered"],
  [301, "permanent"], [400, "permanent"], [401, "permanent"], [403, "permanent"], [404, "permanent"],
  [408, "retry"], [409, "permanent"], [410, "permanent"], [413, "permanent"], [422, "permanent"],
  [429, "retry"], [500, "retry"], [501, "permanent"], [502, "retry"], [503, "retry"], [504, "retry"],
];

/** Runs a notifier through STATUS_TABLE with empty bodies; `overrides` lists its deliberate differences. */
export function expectStatusTable(notifier: Notifier, overrides: Partial<Record<number, Classification["outcome"]>> = {}): void {
  for (const [status, outcome] of STATUS_TABLE) {
    expect({ status, outcome: classifyWith(notifier, response(status)).outcome }).toEqual({ status, outcome: overrides[status] ?? outcome });
  }
}

/**
 * Asserts that no secret value (token, password, Secret keys, secret-bearing address) shows up in
 * validation problems, classification reasons or a FormatError message. The request itself may
 * carry secrets: that is where they belong.
 */
export async function expectLeaksNoSecret(notifier: Notifier, ctx: NotifyContext, secrets: string[]): Promise<void> {
  const texts: string[] = [];
  texts.push(...problemMessages(notifier.validate(ctx.settings)));
  texts.push(...problemMessages(notifier.validate({ ...ctx.settings, address: "", token: "" } as ProviderSettings)));
  try {
    const req = await notifier.format(ctx);
    if (isSkip(req)) texts.push(req.skip);
  } catch (err) {
    texts.push(String(err));
  }
  for (const status of [400, 401, 403, 404, 429, 500]) {
    const c = classifyWith(notifier, response(status, "error"));
    if (c.outcome !== "delivered") texts.push(c.reason);
  }
  for (const secret of secrets.filter((s) => s.length >= 4)) {
    for (const text of texts) expect(text, `secret leaked in: ${text}`).not.toContain(secret);
  }
}
