/**
 * One class per answer a protected resource can give instead of the resource (RFC 6750 §3,
 * RFC 9449 §7.1, RFC 9470 §3). Each error knows its HTTP status and builds its own headers,
 * in the scheme of the request's credentials (`Bearer` or `DPoP`), so the Express adapter
 * maps any of them to HTTP in one generic place and no layer below it knows about HTTP
 * responses.
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
  | 'temporarily_unavailable'
  /** RFC 9449 §7.1: the DPoP proof is missing, malformed, or does not match the request or the token. */
  | 'invalid_dpop_proof'
  /** RFC 9449 §9: the DPoP proof must carry the nonce given in the `DPoP-Nonce` header. */
  | 'use_dpop_nonce'
  /** RFC 9470 §3: the token is valid, but its sign-in is not strong or recent enough for the resource. */
  | 'insufficient_user_authentication';

/**
 * The authentication scheme a challenge is written in: the one the request used, or the one
 * the API demands (RFC 9449 §7.1). A `DPoP` challenge names the proof algorithms (`algs`).
 */
export interface ChallengeScheme {
  name: 'Bearer' | 'DPoP';
  /** Auth-params every challenge of this scheme ends with, e.g. `algs` for DPoP. */
  params?: readonly (readonly [string, string])[];
}

/** RFC 6750's scheme, with no extra parameter. */
export const BEARER_SCHEME: ChallengeScheme = Object.freeze({ name: 'Bearer' });

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

  /**
   * The `WWW-Authenticate` value for this error (RFC 6750 §3) in `scheme` (default `Bearer`),
   * or undefined when none applies.
   */
  wwwAuthenticate(realm: string, scheme: ChallengeScheme = BEARER_SCHEME): string | undefined {
    const params = [['realm', realm], ...this.challengeParams(), ...(scheme.params ?? [])];
    return `${scheme.name} ${params.map(([name, value]) => `${name}="${toAuthParamValue(value!)}"`).join(', ')}`;
  }

  /** Every header this answer needs besides the body's own. */
  headers(realm: string, scheme: ChallengeScheme = BEARER_SCHEME): Record<string, string> {
    const challenge = this.wwwAuthenticate(realm, scheme);
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

/**
 * 401 `invalid_dpop_proof` (RFC 9449 §7.1): the request's DPoP proof is missing, repeated,
 * malformed, badly signed, made for another request, too old or too new, replayed, or made
 * with another key than the one the access token is bound to.
 */
export class InvalidDpopProofError extends BearerError {
  readonly status = 401;
  readonly code = 'invalid_dpop_proof';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidDpopProofError';
  }
}

/**
 * 401 `use_dpop_nonce` (RFC 9449 §9): the proof must carry the nonce this answer gives in its
 * `DPoP-Nonce` header; the client retries once with a new proof that does.
 */
export class UseDpopNonceError extends BearerError {
  readonly status = 401;
  readonly code = 'use_dpop_nonce';
  /** The nonce the next proof must carry. */
  readonly nonce: string;

  constructor(
    nonce: string,
    message = 'The DPoP proof must carry the nonce given in the DPoP-Nonce header.',
  ) {
    super(message);
    this.name = 'UseDpopNonceError';
    this.nonce = nonce;
  }

  override headers(realm: string, scheme?: ChallengeScheme): Record<string, string> {
    return { ...super.headers(realm, scheme), 'DPoP-Nonce': this.nonce };
  }
}

/** What a sign-in must have been for the resource (RFC 9470 §3), each part only when it fell short. */
export interface AuthenticationRequirement {
  /** The `acr` needed, when the token's was another (space-separated if several would do). */
  acrValues?: string;
  /** The greatest age of the sign-in in seconds, when the token's was older or unknown. */
  maxAge?: number;
}

/**
 * 401 `insufficient_user_authentication` (RFC 9470 §3): the token is valid, but the sign-in
 * behind it is not of the class (`acr`) or not as recent (`auth_time`) as the resource needs.
 * The challenge says what a new sign-in must request: `acr_values` and/or `max_age`.
 */
export class InsufficientUserAuthenticationError extends BearerError {
  readonly status = 401;
  readonly code = 'insufficient_user_authentication';
  readonly requirement: Readonly<AuthenticationRequirement>;

  constructor(message: string, requirement: AuthenticationRequirement) {
    super(message);
    this.name = 'InsufficientUserAuthenticationError';
    this.requirement = Object.freeze({ ...requirement });
  }

  protected override challengeParams(): [string, string][] {
    const { acrValues, maxAge } = this.requirement;
    return [
      ...super.challengeParams(),
      ...(acrValues === undefined ? [] : [['acr_values', acrValues] as [string, string]]),
      ...(maxAge === undefined ? [] : [['max_age', String(maxAge)] as [string, string]]),
    ];
  }
}
