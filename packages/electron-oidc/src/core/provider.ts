import * as client from 'openid-client';
import type { AuthConfig } from './config.ts';
import { isLoopbackHost } from './config.ts';
import { AuthError } from './errors.ts';
import type { AuthErrorCode } from './errors.ts';

/**
 * A `fetch` the library uses for every request to the provider (discovery,
 * token, revocation, userinfo, JWKS). For proxies, and for tests that tamper
 * with responses.
 */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** What a request to the provider was for; it decides how a failure reads. */
export type ProviderOperation = 'discovery' | 'sign-in' | 'refresh' | 'revocation' | 'userinfo';

/**
 * Discovers the provider (OIDC Discovery 1.0 §4) and returns the openid-client
 * configuration with the library's checks switched on:
 * - ID token signatures verified against the provider's JWKS
 *   (`enableNonRepudiationChecks`; openid-client skips this by default);
 * - plain http allowed only for a loopback issuer (the config refuses others);
 * - client authentication `none` for a public native client (RFC 8252 §8.4),
 *   or the secret method the config names.
 */
export async function discoverProvider(
  config: AuthConfig,
  fetchImpl?: FetchLike,
): Promise<client.Configuration> {
  const execute: Array<(c: client.Configuration) => void> = [client.enableNonRepudiationChecks];
  if (config.issuer.protocol === 'http:' && isLoopbackHost(config.issuer.hostname)) {
    execute.push(client.allowInsecureRequests);
  }
  const clientAuth =
    config.clientSecret === undefined
      ? client.None()
      : config.clientAuthMethod === 'client_secret_basic'
        ? client.ClientSecretBasic(config.clientSecret)
        : client.ClientSecretPost(config.clientSecret);
  const options: client.DiscoveryRequestOptions = { execute, timeout: 30 };
  if (fetchImpl !== undefined) options[client.customFetch] = toCustomFetch(fetchImpl);
  try {
    return await client.discovery(config.issuer, config.clientId, undefined, clientAuth, options);
  } catch (err) {
    throw toAuthError(err, 'discovery');
  }
}

function toCustomFetch(fetchImpl: FetchLike): client.CustomFetch {
  return (url, options) => fetchImpl(url, options as RequestInit);
}

/**
 * Keeps one discovered configuration, discovering lazily and again after a
 * failure (the provider may be down at start-up and up later).
 */
export class ProviderConnection {
  readonly #config: AuthConfig;
  readonly #fetch: FetchLike | undefined;
  #pending: Promise<client.Configuration> | undefined;

  constructor(config: AuthConfig, fetchImpl?: FetchLike) {
    this.#config = config;
    this.#fetch = fetchImpl;
  }

  /** The discovered configuration; concurrent callers share one discovery. */
  get(): Promise<client.Configuration> {
    this.#pending ??= discoverProvider(this.#config, this.#fetch).catch((err: unknown) => {
      this.#pending = undefined;
      throw err;
    });
    return this.#pending;
  }
}

const DENIED = new Set([
  'access_denied',
  'consent_required',
  'login_required',
  'interaction_required',
  'account_selection_required',
]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function responseStatus(err: unknown): number | undefined {
  // openid-client wraps "unexpected status" failures with the Response as cause.
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 3; depth++) {
    if (e instanceof Response) return e.status;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isNetworkFailure(err: unknown): boolean {
  const code = codeOf(err);
  if (code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') return true;
  // undici's "fetch failed" is a TypeError without the ERR_INVALID_ARG_* code of a misuse.
  if (err instanceof TypeError && (code === undefined || !code.startsWith('ERR_INVALID_ARG'))) return true;
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) return true;
  const status = responseStatus(err);
  return status !== undefined && isTemporaryStatus(status);
}

/**
 * 5xx (the provider or its gateway is failing) and 429 (RFC 6585 §4: rate
 * limited, "retry later"): the request may succeed later, so the session is
 * kept and retried with backoff, never ended.
 */
function isTemporaryStatus(status: number): boolean {
  return status >= 500 || status === 429;
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

/** Whether an openid-client failure concerns the ID token rather than the rest of a response. */
function isIdTokenFailure(err: unknown): boolean {
  const code = codeOf(err);
  if (code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' || code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED')
    return true;
  if (code === 'OAUTH_KEY_SELECTION_FAILED') return true;
  const inner = (err as { cause?: unknown }).cause;
  const message = inner instanceof Error ? inner.message : '';
  return /JWT|ID Token|JWS/.test(message);
}

/**
 * Maps whatever openid-client (or fetch) threw to an {@link AuthError} whose
 * code says what the caller can do about it. Network failures and 5xx answers
 * are `ERR_PROVIDER_UNREACHABLE` (try again later), OAuth error answers are
 * `ERR_PROVIDER_*` (or `ERR_SESSION_EXPIRED` for `invalid_grant` on refresh),
 * and protocol violations are `ERR_RESPONSE_INVALID` / `ERR_ID_TOKEN_INVALID`.
 */
export function toAuthError(err: unknown, operation: ProviderOperation): AuthError {
  if (err instanceof AuthError) return err;
  const what = describeOperation(operation);

  if (err instanceof client.AuthorizationResponseError) {
    // RFC 6749 §4.1.2.1: the provider sent the user back with an error.
    const denied = DENIED.has(err.error);
    const code: AuthErrorCode = denied ? 'ERR_PROVIDER_DENIED' : 'ERR_PROVIDER_ERROR';
    const message = denied
      ? err.error === 'access_denied'
        ? 'Sign-in was not completed: access was denied at the sign-in page. Sign in again and allow access to continue.'
        : `Sign-in was not completed: the provider needs you to interact (${err.error}). Sign in again.`
      : `The sign-in provider reported an error (${err.error}). Try again; if it persists, contact the app’s support.`;
    return new AuthError(code, message, { cause: err, ...oauthDetails(err) });
  }

  if (err instanceof client.ResponseBodyError) {
    // RFC 6749 §5.2: the token (or revocation) endpoint refused.
    if (isTemporaryStatus(err.status)) {
      return new AuthError(
        'ERR_PROVIDER_UNREACHABLE',
        `The sign-in provider is having trouble (${err.error}) while ${what}. Try again in a moment.`,
        { cause: err, ...oauthDetails(err) },
      );
    }
    if (err.error === 'invalid_grant' && operation === 'refresh') {
      return new AuthError(
        'ERR_SESSION_EXPIRED',
        'Your session has ended at the sign-in provider (it expired or was revoked). Please sign in again.',
        { cause: err, ...oauthDetails(err) },
      );
    }
    if (err.error === 'invalid_grant') {
      return new AuthError(
        'ERR_PROVIDER_ERROR',
        'The sign-in answer was refused by the provider (it may have expired or been used already). Please sign in again.',
        { cause: err, ...oauthDetails(err) },
      );
    }
    return new AuthError(
      'ERR_PROVIDER_ERROR',
      `The sign-in provider refused ${what} (${err.error}). Check the app’s sign-in configuration or contact its support.`,
      { cause: err, ...oauthDetails(err) },
    );
  }

  if (isNetworkFailure(err)) {
    return new AuthError(
      'ERR_PROVIDER_UNREACHABLE',
      `Cannot reach the sign-in provider while ${what}. Check your connection and try again.`,
      { cause: err },
    );
  }

  if (err instanceof client.ClientError) {
    const inner = (err.cause as { cause?: unknown } | undefined)?.cause;
    const fromCallback =
      inner !== null &&
      typeof inner === 'object' &&
      (inner as { parameters?: unknown }).parameters instanceof URLSearchParams;
    if (operation === 'sign-in' && fromCallback) {
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
    if (operation === 'discovery' && codeOf(err) === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
      return new AuthError(
        'ERR_CONFIG',
        'The provider’s configuration names another issuer than the configured "issuer"; set "issuer" to exactly the provider’s issuer URL.',
        { cause: err, option: 'issuer' },
      );
    }
    return new AuthError(
      'ERR_RESPONSE_INVALID',
      `The sign-in provider sent an unexpected answer while ${what}. Try again; if it persists, contact the app’s support.`,
      { cause: err },
    );
  }

  return new AuthError('ERR_RESPONSE_INVALID', `Unexpected failure while ${what}.`, { cause: err });
}
