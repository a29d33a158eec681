/**
 * One class per answer a bearer-protected resource can give instead of the resource
 * (RFC 6750 §3). Each error knows its HTTP status and builds its own headers, so the
 * Express adapter maps any of them to HTTP in one generic place and no layer below it
 * knows about HTTP responses.
 */

/** The `error` values of the JSON body, a closed set so that `switch (err.code)` narrows. */
export type BearerErrorCode =
  /** No bearer credentials at all (RFC 6750 §3.1: the challenge then carries no error code). */
  | 'unauthorized'
  /** RFC 6750 §3.1: malformed request, e.g. two tokens or a token sent two ways. */
  | 'invalid_request'
  /** RFC 6750 §3.1: expired, revoked, malformed or otherwise invalid token. */
  | 'invalid_token'
  /** RFC 6750 §3.1: the token is valid but lacks the scope the resource needs. */
  | 'insufficient_scope'
  /** The issuer's keys cannot be fetched, so no token can be checked (RFC 6749 §4.1.2.1's name). */
  | 'temporarily_unavailable';

/**
 * RFC 6750 §3: `error_description` and `scope` values MUST NOT contain `"` or `\` and are
 * limited to printable ASCII. Anything else is replaced, so a description built from
 * untrusted input can never break (or inject into) the `WWW-Authenticate` header.
 */
function toAuthParamValue(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '?');
}

/** Base class: every answer other than the resource itself. */
export abstract class BearerError extends Error {
  abstract readonly status: number;
  abstract readonly code: BearerErrorCode;

  /** The extra auth-params of the challenge (after `realm`), in order. */
  protected challengeParams(): [string, string][] {
    return [
      ['error', this.code],
      ['error_description', this.message],
    ];
  }

  /** The `WWW-Authenticate` value for this error (RFC 6750 §3), or undefined when none applies. */
  wwwAuthenticate(realm: string): string | undefined {
    const params: [string, string][] = [['realm', realm], ...this.challengeParams()];
    return `Bearer ${params.map(([name, value]) => `${name}="${toAuthParamValue(value)}"`).join(', ')}`;
  }

  /** Every header this answer needs besides the body's own. */
  headers(realm: string): Record<string, string> {
    const challenge = this.wwwAuthenticate(realm);
    return challenge === undefined ? {} : { 'WWW-Authenticate': challenge };
  }

  /** The JSON body: `{ error, error_description }`. */
  body(): { error: BearerErrorCode; error_description: string } {
    return { error: this.code, error_description: this.message };
  }
}

/**
 * 401 without an error code: the request carries no bearer credentials at all (none, or
 * another scheme such as Basic). RFC 6750 §3.1: "the resource server SHOULD NOT include an
 * error code or other error information" in the challenge.
 */
export class UnauthorizedError extends BearerError {
  readonly status = 401;
  readonly code = 'unauthorized';

  constructor(message = 'This resource needs a bearer access token in the Authorization header.') {
    super(message);
    this.name = 'UnauthorizedError';
  }

  protected override challengeParams(): [string, string][] {
    return [];
  }
}

/** 400 `invalid_request` (RFC 6750 §3.1). */
export class InvalidRequestError extends BearerError {
  readonly status = 400;
  readonly code = 'invalid_request';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

/** 401 `invalid_token` (RFC 6750 §3.1). `cause` keeps the library's reason, for logs only. */
export class InvalidTokenError extends BearerError {
  readonly status = 401;
  readonly code = 'invalid_token';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidTokenError';
  }
}

/** 403 `insufficient_scope` (RFC 6750 §3.1), naming the scope needed in the challenge. */
export class InsufficientScopeError extends BearerError {
  readonly status = 403;
  readonly code = 'insufficient_scope';
  /** The scopes the resource needs, space-separated as in RFC 6749 §3.3. */
  readonly requiredScope: string;

  constructor(requiredScopes: readonly string[]) {
    const requiredScope = requiredScopes.join(' ');
    super(`The access token does not grant the scope this resource needs: ${requiredScope}.`);
    this.name = 'InsufficientScopeError';
    this.requiredScope = requiredScope;
  }

  protected override challengeParams(): [string, string][] {
    return [...super.challengeParams(), ['scope', this.requiredScope]];
  }
}

/**
 * 503: the issuer's discovery document or its JWKS cannot be fetched (or is unusable), so
 * no token can be checked. Never a pass, never a 500. `cause` keeps the reason, for logs.
 */
export class IssuerUnavailableError extends BearerError {
  readonly status = 503;
  readonly code = 'temporarily_unavailable';
  /** Seconds after which a client may retry (RFC 9110 §10.2.3 `Retry-After`). */
  readonly retryAfterSeconds: number;

  constructor(reason: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(reason, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IssuerUnavailableError';
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 5;
  }

  /** A 503 is not an authentication challenge: no `WWW-Authenticate`. */
  override wwwAuthenticate(): undefined {
    return undefined;
  }

  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }

  /** The client sees a generic text; the precise reason (`message`) goes to the logs only. */
  override body(): { error: BearerErrorCode; error_description: string } {
    return {
      error: this.code,
      error_description: "The token issuer's signing keys cannot be fetched right now; try again later.",
    };
  }
}
