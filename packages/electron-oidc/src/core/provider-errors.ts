import * as client from 'openid-client';
import { AuthError } from './errors.ts';
import type { AuthErrorCode } from './errors.ts';

/** What a request to the provider was for; it decides how a failure reads. */
export type ProviderOperation = 'discovery' | 'sign-in' | 'refresh' | 'revocation' | 'userinfo';

/** OAuth `error` values by which the user (or the provider for them) declined (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). */
const DENIED = new Set([
  'access_denied',
  'consent_required',
  'login_required',
  'interaction_required',
  'account_selection_required',
]);

/** oauth4webapi's codes (kept by openid-client) that only a check of a JWT raises. */
const JWT_CHECK_CODES = new Set([
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * What oauth4webapi attached to a failed check: openid-client rethrows its
 * error as the `cause` of a `ClientError` with the same `code`, and that
 * error's own `cause` holds what was checked (`{ claims }`, `{ header }`,
 * `{ parameters }`, `{ body }`, `{ attribute }`, …).
 */
function checkDetail(err: client.ClientError): unknown {
  const inner: unknown = err.cause;
  return inner instanceof Error ? inner.cause : inner;
}

/** The HTTP status of a response a failure carries (openid-client puts it in `cause` for an unexpected status). */
function responseStatus(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 3; depth++) {
    if (e instanceof Response) return e.status;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * 5xx (the provider or its gateway is failing) and 429 (RFC 6585 §4: rate
 * limited, "retry later"): the request may succeed later, so the session is
 * kept and retried with backoff, never ended.
 */
function isTemporaryStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/** The request may succeed later: no answer (network, timeout, abort) or a temporary one. */
export function isNetworkFailure(err: unknown): boolean {
  const code = codeOf(err);
  if (code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') return true;
  // undici's "fetch failed" is a TypeError without the ERR_INVALID_ARG_* code of a misuse.
  if (err instanceof TypeError && (code === undefined || !code.startsWith('ERR_INVALID_ARG'))) return true;
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) return true;
  const status = responseStatus(err);
  return status !== undefined && isTemporaryStatus(status);
}

/** The provider answered, but not as an OAuth endpoint does (RFC 6749 §5.2 error JSON), nor with a temporary error. */
export function isNonOAuthAnswer(err: unknown): boolean {
  if (err instanceof client.ResponseBodyError || isNetworkFailure(err)) return false;
  const status = responseStatus(err);
  return status !== undefined && status >= 300;
}

/**
 * Whether a failed check concerns the ID token (in a token response, the only
 * JWT there is) rather than the rest of the answer: a JWT-only code, or a
 * detail shaped like what oauth4webapi attaches to a JWT check: the claims,
 * the JOSE header (`typ`, `alg`, `crit`), the signature, the algorithm, or the
 * compact JWS itself. A response body (`{ body }`) or callback parameters
 * (`{ parameters }`) are not.
 */
export function isIdTokenFailure(err: client.ClientError): boolean {
  const code = codeOf(err);
  if (code !== undefined && JWT_CHECK_CODES.has(code)) return true;
  const detail = checkDetail(err);
  if (typeof detail === 'string') return true;
  if (typeof detail !== 'object' || detail === null) return false;
  return ['claims', 'header', 'signature', 'alg'].some((field) => field in detail);
}

/** Whether a failed check is about the OAuth callback's parameters (RFC 9207 `iss`, `state`, `code`). */
function isCallbackFailure(err: client.ClientError): boolean {
  const detail = checkDetail(err);
  return (
    typeof detail === 'object' &&
    detail !== null &&
    (detail as { parameters?: unknown }).parameters instanceof URLSearchParams
  );
}

/** Whether discovery failed because the document names another issuer (OIDC Discovery 1.0 §4.3). */
function isIssuerMismatch(err: client.ClientError): boolean {
  const detail = checkDetail(err);
  return (
    codeOf(err) === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' &&
    (detail as { attribute?: unknown } | null)?.attribute === 'issuer'
  );
}

function describeOperation(operation: ProviderOperation): string {
  switch (operation) {
    case 'discovery':
      return 'reading the sign-in provider’s configuration';
    case 'sign-in':
      return 'completing the sign-in';
    case 'refresh':
      return 'renewing the session';
    case 'revocation':
      return 'revoking the session at the provider';
    case 'userinfo':
      return 'reading the profile';
  }
}

function oauthDetails(err: { error: string; error_description?: string | undefined }) {
  return {
    oauthError: err.error,
    ...(typeof err.error_description === 'string' ? { oauthErrorDescription: err.error_description } : {}),
  };
}

/** RFC 6749 §4.1.2.1: the provider sent the user back with an error. */
function fromAuthorizationResponse(err: client.AuthorizationResponseError): AuthError {
  const denied = DENIED.has(err.error);
  const code: AuthErrorCode = denied ? 'ERR_PROVIDER_DENIED' : 'ERR_PROVIDER_ERROR';
  const message = denied
    ? err.error === 'access_denied'
      ? 'Sign-in was not completed: access was denied at the sign-in page. Sign in again and allow access to continue.'
      : `Sign-in was not completed: the provider needs you to interact (${err.error}). Sign in again.`
    : `The sign-in provider reported an error (${err.error}). Try again; if it persists, contact the app’s support.`;
  return new AuthError(code, message, { cause: err, ...oauthDetails(err) });
}

/** RFC 6749 §5.2: the token (or revocation) endpoint refused. */
function fromErrorBody(err: client.ResponseBodyError, operation: ProviderOperation): AuthError {
  const details = { cause: err, ...oauthDetails(err) };
  if (isTemporaryStatus(err.status)) {
    return new AuthError(
      'ERR_PROVIDER_UNREACHABLE',
      `The sign-in provider is having trouble (${err.error}) while ${describeOperation(operation)}. Try again in a moment.`,
      details,
    );
  }
  if (err.error === 'invalid_grant' && operation === 'refresh') {
    return new AuthError(
      'ERR_SESSION_EXPIRED',
      'Your session has ended at the sign-in provider (it expired or was revoked). Please sign in again.',
      details,
    );
  }
  if (err.error === 'invalid_grant') {
    return new AuthError(
      'ERR_PROVIDER_ERROR',
      'The sign-in answer was refused by the provider (it may have expired or been used already). Please sign in again.',
      details,
    );
  }
  return new AuthError(
    'ERR_PROVIDER_ERROR',
    `The sign-in provider refused ${describeOperation(operation)} (${err.error}). Check the app’s sign-in configuration or contact its support.`,
    details,
  );
}

/** A check openid-client made on an answer failed: which one decides what the user is told. */
function fromFailedCheck(err: client.ClientError, operation: ProviderOperation): AuthError {
  if (operation === 'sign-in' && isCallbackFailure(err)) {
    // e.g. RFC 9207 `iss` missing or not the issuer: a mix-up attack or a misrouted answer.
    return new AuthError(
      'ERR_RESPONSE_INVALID',
      'The sign-in answer did not come from the expected provider and was rejected. Please sign in again.',
      { cause: err },
    );
  }
  if ((operation === 'sign-in' || operation === 'refresh') && isIdTokenFailure(err)) {
    return new AuthError(
      'ERR_ID_TOKEN_INVALID',
      'The identity token from the sign-in provider failed verification and was rejected. Please sign in again; if it persists, check the device clock and contact the app’s support.',
      { cause: err },
    );
  }
  if (operation === 'discovery' && isIssuerMismatch(err)) {
    return new AuthError(
      'ERR_CONFIG',
      'The provider’s configuration names another issuer than the configured "issuer"; set "issuer" to exactly the provider’s issuer URL.',
      { cause: err, option: 'issuer' },
    );
  }
  return new AuthError(
    'ERR_RESPONSE_INVALID',
    `The sign-in provider sent an unexpected answer while ${describeOperation(operation)}. Try again; if it persists, contact the app’s support.`,
    { cause: err },
  );
}

/**
 * Maps whatever openid-client (or fetch) threw to an {@link AuthError} whose
 * code says what the caller can do about it, from the error's class, its
 * `code` and what it carries, never from its message. Network failures and
 * 5xx answers are `ERR_PROVIDER_UNREACHABLE` (try again later), OAuth error
 * answers are `ERR_PROVIDER_*` (or `ERR_SESSION_EXPIRED` for `invalid_grant`
 * on refresh), and protocol violations are `ERR_RESPONSE_INVALID` /
 * `ERR_ID_TOKEN_INVALID`.
 */
export function toAuthError(err: unknown, operation: ProviderOperation): AuthError {
  if (err instanceof AuthError) return err;
  if (err instanceof client.AuthorizationResponseError) return fromAuthorizationResponse(err);
  if (err instanceof client.ResponseBodyError) return fromErrorBody(err, operation);
  if (isNetworkFailure(err)) {
    return new AuthError(
      'ERR_PROVIDER_UNREACHABLE',
      `Cannot reach the sign-in provider while ${describeOperation(operation)}. Check your connection and try again.`,
      { cause: err },
    );
  }
  if (err instanceof client.ClientError) return fromFailedCheck(err, operation);
  return new AuthError('ERR_RESPONSE_INVALID', `Unexpected failure while ${describeOperation(operation)}.`, {
    cause: err,
  });
}
