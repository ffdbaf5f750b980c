import { redact } from "../lib/redact";
import { classifyResponse } from "./classify";
import type { Classification, Notifier, OutboundRequest, ResponseSnapshot } from "./types";

const MAX_BODY_READ = 64 * 1024;

/** The result of one HTTP attempt: what happened, how long it took, and the status if any. */
export interface AttemptOutcome {
  classification: Classification;
  status?: number;
  latencyMs: number;
}

/**
 * Sends one request with the provider's per-attempt timeout and classifies the answer with the
 * shared classifier plus the notifier's own signals. Network errors and timeouts are retryable.
 * Reasons are redacted against `secrets` so they can go to logs, status and the dashboard.
 */
export async function sendRequest(
  notifier: Notifier,
  req: OutboundRequest,
  timeoutMs: number,
  secrets: string[],
  fetcher: typeof fetch = fetch,
): Promise<AttemptOutcome> {
  const started = Date.now();
  try {
    const res = await fetcher(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" ? undefined : req.body,
      redirect: "follow",
      signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
    });
    const snapshot: ResponseSnapshot = { status: res.status, headers: res.headers, body: await readCapped(res, timeoutMs) };
    const classification = notifier.classify?.(snapshot) ?? classifyResponse(snapshot);
    return { classification: redactClassification(classification, secrets), status: res.status, latencyMs: Date.now() - started };
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === "TimeoutError" || e.name === "AbortError";
    const reason = timedOut ? `timeout: no answer within ${timeoutMs} ms (spec.timeout)` : `connection error: ${e.message}`;
    return { classification: { outcome: "retry", reason: redact(reason, secrets) }, latencyMs: Date.now() - started };
  }
}

async function readCapped(res: Response, timeoutMs: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const deadline = setTimeout(() => reader.cancel().catch(() => {}), timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size >= MAX_BODY_READ) {
        await reader.cancel();
        break;
      }
    }
  } finally {
    clearTimeout(deadline);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c.subarray(0, size - offset), offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(all.subarray(0, Math.min(size, MAX_BODY_READ)));
}

function redactClassification(c: Classification, secrets: string[]): Classification {
  return c.outcome === "delivered" ? c : { ...c, reason: redact(c.reason, secrets) };
}
