/**
 * Typed errors thrown anywhere in the Worker; `app.onError` turns them into JSON responses. Each
 * spells out its `name` (dead-letter reasons and test-send errors show it): the bundle is built
 * without esbuild's keep_names (wrangler.toml), so a class's own name is minified.
 */
export class RelayError extends Error {
  override name = "RelayError";

  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 422 | 429 | 500 | 503,
    message: string,
    readonly details: string[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class BadRequestError extends RelayError {
  override name = "BadRequestError";

  constructor(message: string, details: string[] = []) {
    super(400, message, details);
  }
}

export class UnauthorizedError extends RelayError {
  override name = "UnauthorizedError";

  constructor(message: string) {
    super(401, message);
  }
}

/** Authenticated, but the token's role may not do this (a write with READ_TOKEN). */
export class ForbiddenError extends RelayError {
  override name = "ForbiddenError";

  constructor(message: string) {
    super(403, message);
  }
}

/** Too many requests from one client: the platform rate limiter said no. */
export class TooManyRequestsError extends RelayError {
  override name = "TooManyRequestsError";

  constructor(message: string, retryAfterSeconds: number) {
    super(429, message, [], { "Retry-After": String(retryAfterSeconds) });
  }
}

export class NotFoundError extends RelayError {
  override name = "NotFoundError";

  constructor(message: string) {
    super(404, message);
  }
}

export class PayloadTooLargeError extends RelayError {
  override name = "PayloadTooLargeError";

  constructor(limit: number) {
    super(413, `request body exceeds ${limit} bytes`);
  }
}

/** A manifest that fails validation: every problem is listed, nothing is written. */
export class InvalidManifestError extends RelayError {
  override name = "InvalidManifestError";

  constructor(message: string, details: string[]) {
    super(422, message, details);
  }
}

export class UnavailableError extends RelayError {
  override name = "UnavailableError";

  constructor(message: string, retryAfterSeconds: number) {
    super(503, message, [], { "Retry-After": String(retryAfterSeconds) });
  }
}
