import { sha256Hex } from "../lib/crypto";
import type { FluxEvent } from "./event";
import { eventShape, metadataValue } from "./metadata";

/** go-limiter's fallback when the configured interval is zero (or negative). */
export const ZERO_WINDOW_FALLBACK_MS = 1000;

/**
 * The string Flux hashes for the dedup key (spec 3). Call it on the cleaned event, before the token
 * is removed: `token` is part of the key. `originRevision`, `revision` and `token` are read in either
 * shape and count when present, even with an empty value.
 */
export function dedupKeyString(event: FluxEvent, shape = eventShape(event)): string {
  const { name, namespace, kind } = event.involvedObject;
  const parts = ["event", `name=${name}`, `namespace=${namespace}`, `kind=${kind}`, `message=${event.message}`];
  for (const key of ["originRevision", "revision", "token"] as const) {
    const value = metadataValue(event, key, shape);
    if (value !== undefined) parts.push(`${key}=${value}`);
  }
  return parts.join("/");
}

/** Lower-case hex SHA-256 of dedupKeyString, as Flux's eventKeyFunc computes it. */
export function dedupKey(event: FluxEvent, shape = eventShape(event)): Promise<string> {
  return sha256Hex(dedupKeyString(event, shape));
}

/** Outcome of one admission check, plus the state to persist for the key. */
export interface WindowDecision {
  admitted: boolean;
  /** Anchor of the window grid; persist it. */
  firstSeenMs: number;
  /** Index of the window `nowMs` falls in. */
  window: number;
  /** Last window in which the key was admitted; persist it. */
  lastAdmittedWindow: number;
  /** End of the current window (X-RateLimit-Reset, Retry-After). */
  windowEndMs: number;
  /** After this instant the key is forgotten (isExpired); a cheap column to sweep by. */
  expiresAtMs: number;
}

/** The effective window length: go-limiter replaces a non-positive interval by one second. */
export function effectiveWindowMs(windowMs: number): number {
  return windowMs > 0 ? windowMs : ZERO_WINDOW_FALLBACK_MS;
}

/**
 * go-limiter memorystore's bucket with one token (spec 3): the window grid is anchored at the first
 * sighting, the first request of each window is admitted, and rejected requests change nothing.
 * Pass `undefined` for a key never seen (or forgotten). A key idle past isExpired is treated as new,
 * i.e. as if Flux's periodic sweep ran just before this request: the earliest instant Flux could
 * forget it, which keeps the outcome independent of when a sweep happens to run. A clock that went
 * backwards re-anchors the grid at `nowMs` without refilling the token, as go-limiter does.
 */
export function fixedWindowDecision(
  firstSeenMs: number | undefined,
  lastAdmittedWindow: number | undefined,
  nowMs: number,
  windowMs: number,
): WindowDecision {
  const w = effectiveWindowMs(windowMs);
  const decide = (admitted: boolean, anchor: number, window: number, last: number): WindowDecision => ({
    admitted,
    firstSeenMs: anchor,
    window,
    lastAdmittedWindow: last,
    windowEndMs: anchor + (window + 1) * w,
    expiresAtMs: expiresAtMs(anchor, last, w),
  });
  if (firstSeenMs === undefined || lastAdmittedWindow === undefined) return decide(true, nowMs, 0, 0);
  if (isExpired(windowStartMs(firstSeenMs, lastAdmittedWindow, w), nowMs, w)) return decide(true, nowMs, 0, 0);
  if (nowMs < firstSeenMs) return decide(false, nowMs, 0, 0);
  const window = Math.floor((nowMs - firstSeenMs) / w);
  return window > lastAdmittedWindow
    ? decide(true, firstSeenMs, window, window)
    : decide(false, firstSeenMs, window, lastAdmittedWindow);
}

/** Start of window `window` of a grid anchored at `firstSeenMs`. */
export function windowStartMs(firstSeenMs: number, window: number, windowMs: number): number {
  return firstSeenMs + window * effectiveWindowMs(windowMs);
}

/**
 * Flux 1.9.3's housekeeping rule (sweep every interval, forget keys idle for more than two): idle
 * time is measured from the start of the last admitted window, as go-limiter does, because a
 * rejected request does not touch the bucket.
 */
export function isExpired(lastAdmittedWindowStartMs: number, nowMs: number, windowMs: number): boolean {
  return nowMs - lastAdmittedWindowStartMs > 2 * effectiveWindowMs(windowMs);
}

/** The last instant at which a key with this state is still remembered. */
export function expiresAtMs(firstSeenMs: number, lastAdmittedWindow: number, windowMs: number): number {
  return windowStartMs(firstSeenMs, lastAdmittedWindow, windowMs) + 2 * effectiveWindowMs(windowMs);
}

/** In-memory fixed-window admission per key, with the caller's clock (tests, single-isolate use). */
export class FixedWindow {
  private readonly keys = new Map<string, { firstSeenMs: number; lastAdmittedWindow: number }>();

  constructor(private readonly windowMs: number) {}

  /** Takes the key's token for the window containing `nowMs`, if it is still there. */
  admit(key: string, nowMs: number): { admitted: boolean; windowEndMs: number } {
    const state = this.keys.get(key);
    const d = fixedWindowDecision(state?.firstSeenMs, state?.lastAdmittedWindow, nowMs, this.windowMs);
    this.keys.set(key, { firstSeenMs: d.firstSeenMs, lastAdmittedWindow: d.lastAdmittedWindow });
    return { admitted: d.admitted, windowEndMs: d.windowEndMs };
  }

  /** Forgets every expired key; returns how many were dropped. */
  sweep(nowMs: number): number {
    let dropped = 0;
    for (const [key, s] of this.keys) {
      if (nowMs > expiresAtMs(s.firstSeenMs, s.lastAdmittedWindow, this.windowMs)) {
        this.keys.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Number of keys currently remembered. */
  get size(): number {
    return this.keys.size;
  }
}
