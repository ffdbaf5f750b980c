import { expect } from "vitest";
import { isSkip, type Classification, type Notifier, type NotifyContext, type OutboundRequest, type ResponseSnapshot, type Send } from "../../src/notifiers/types";
import { classifyWith, response } from "./notifier-kit";

/** A `send` for exchange tests that keeps what it was asked to send. */
export type FakeSend = Send & { requests: OutboundRequest[] };

/**
 * A `send` for exchange tests: answers each request with `answer(req)`, classified as the
 * transport would classify it for `notifier`; no answer (undefined) is a connection error.
 */
export function fakeSend(notifier: Notifier, answer: (req: OutboundRequest) => ResponseSnapshot | undefined): FakeSend {
  const requests: OutboundRequest[] = [];
  const send: Send = async (req) => {
    requests.push(req);
    const res = answer(req);
    if (!res) return { classification: { outcome: "retry", reason: "connection error: connection refused" } };
    return { classification: classifyWith(notifier, res), response: res };
  };
  return Object.assign(send, { requests });
}

/** `METHOD url` of each request, for asserting the order of an exchange. */
export function calls(send: FakeSend): string[] {
  return send.requests.map((r) => `${r.method} ${r.url}`);
}

/** Runs an exchange that must end in a Classification (not a Skip). */
export async function exchange(notifier: Notifier, ctx: NotifyContext, send: Send): Promise<Classification> {
  const ended = await notifier.exchange!(ctx, send);
  if (isSkip(ended)) throw new Error(`unexpected skip: ${ended.skip}`);
  return ended;
}

/**
 * The exchange half of expectLeaksNoSecret: whichever request fails, with whichever status, the
 * reason the exchange ends with names no secret.
 */
export async function expectExchangeLeaksNoSecret(notifier: Notifier, ctx: NotifyContext, secrets: string[]): Promise<void> {
  const texts: string[] = [];
  for (const status of [400, 401, 403, 404, 429, 500]) {
    // Fail the first, second, ... request in turn, so every step's failure wording is covered.
    for (let failing = 0; failing < 4; failing++) {
      let n = 0;
      const send = fakeSend(notifier, () => (n++ === failing ? response(status, "error") : response(200, "[]")));
      try {
        const ended = await notifier.exchange!(ctx, send);
        texts.push(isSkip(ended) ? ended.skip : ended.outcome === "delivered" ? "" : ended.reason);
      } catch (err) {
        texts.push(String(err));
      }
    }
  }
  for (const secret of secrets.filter((s) => s.length >= 4)) {
    for (const text of texts) expect(text, `secret leaked in: ${text}`).not.toContain(secret);
  }
}
