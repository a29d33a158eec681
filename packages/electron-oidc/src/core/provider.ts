import * as client from 'openid-client';
import type { AuthConfig } from './config.ts';
import { isLoopbackHost } from './config.ts';
import { AuthError } from './errors.ts';
import type { AuthErrorCode } from './errors.ts';
import type { Logger } from './logger.ts';
import {
  decodeProviderCache,
  encodeProviderCache,
  providerCacheDigest,
  reusableSeconds,
  sameIssuer,
} from './provider-cache.ts';
import type { ProviderCacheStore } from './provider-cache.ts';

/**
 * A `fetch` the library uses for every request to the provider (discovery,
 * token, revocation, userinfo, JWKS). For proxies, and for tests that tamper
 * with responses.
 */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** What a request to the provider was for; it decides how a failure reads. */
export type ProviderOperation = 'discovery' | 'sign-in' | 'refresh' | 'revocation' | 'userinfo';

/** The JWKS is fetched alongside a refresh grant once openid-client's copy is this old (it refetches at 300 s). */
const JWKS_PREFETCH_AGE_SECONDS = 240;

/** Plain http only for a loopback issuer (the config refuses others). */
function allowsHttp(config: AuthConfig): boolean {
  return config.issuer.protocol === 'http:' && isLoopbackHost(config.issuer.hostname);
}

/** The library's checks on top of openid-client's, applied to every configuration however it was built. */
function applyChecks(config: AuthConfig, c: client.Configuration, fetchImpl: client.CustomFetch): void {
  // ID token signatures verified against the provider's JWKS (openid-client skips this by default).
  client.enableNonRepudiationChecks(c);
  if (allowsHttp(config)) client.allowInsecureRequests(c);
  c.timeout = 30;
  c[client.customFetch] = fetchImpl;
}

/** Client authentication `none` for a public native client (RFC 8252 §8.4), or the secret method the config names. */
function clientAuthentication(config: AuthConfig): client.ClientAuth {
  if (config.clientSecret === undefined) return client.None();
  return config.clientAuthMethod === 'client_secret_basic'
    ? client.ClientSecretBasic(config.clientSecret)
    : client.ClientSecretPost(config.clientSecret);
}

/** What {@link ProviderConnection} needs besides the config. */
export interface ProviderConnectionOptions {
  /** The `fetch` for every request to the provider. Default: the global `fetch`. */
  fetch?: FetchLike | undefined;
  /** Keeps the discovery document between launches (see {@link ProviderCacheStore}). */
  cache?: ProviderCacheStore | undefined;
  /** Milliseconds since the epoch (tests). */
  now?: (() => number) | undefined;
  logger?: Logger | undefined;
}

/**
 * The connection to the provider: one openid-client configuration, built from
 * a stored discovery document the vault vouches for, or else discovered
 * (OIDC Discovery 1.0 §4) lazily and again after a failure (the provider may
 * be down at start-up and up later). Refresh grants fetch the provider's JWKS
 * at the same time, as verifying the refreshed ID token needs it, so that a
 * silent sign-in waits for one round trip, not two.
 */
export class ProviderConnection {
  readonly #config: AuthConfig;
  readonly #fetch: FetchLike;
  readonly #cache: ProviderCacheStore | undefined;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;
  #pending: Promise<client.Configuration> | undefined;
  /** The stored document's digest the vault holds (set by {@link trust}). */
  #trusted: string | undefined;
  /** The digest of the stored document matching the configuration in use, if it is stored. */
  #digest: string | undefined;
  /** The configuration built from the stored document, while it is the one in use. */
  #fromStoredDocument: client.Configuration | undefined;
  #prefetch: { readonly url: string; readonly response: Promise<Response> } | undefined;
  /** Whether the last refresh answer carried an ID token (if not, the JWKS is not fetched alongside). */
  #refreshCarriesIdToken = true;

  constructor(config: AuthConfig, options: ProviderConnectionOptions = {}) {
    this.#config = config;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#cache = options.cache;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
  }

  /**
   * Names the digest of the stored discovery document that may be used (read
   * from the vault). Only before the first {@link get}.
   */
  trust(digest: string | undefined): void {
    if (this.#pending === undefined) this.#trusted = digest;
  }

  /** The digest to keep in the vault: of the stored discovery document in use, if stored. */
  get cacheDigest(): string | undefined {
    return this.#digest;
  }

  /** The configuration; concurrent callers share one discovery. */
  get(): Promise<client.Configuration> {
    this.#pending ??= this.#load().catch((err: unknown) => {
      this.#pending = undefined;
      throw err;
    });
    return this.#pending;
  }

  async #load(): Promise<client.Configuration> {
    const stored = await this.#fromCache();
    if (stored !== undefined) return stored;
    this.#digest = undefined;
    // The discovery response itself, for its Cache-Control.
    let discoveryResponse: Response | undefined;
    let c: client.Configuration;
    try {
      c = await client.discovery(
        this.#config.issuer,
        this.#config.clientId,
        undefined,
        clientAuthentication(this.#config),
        {
          [client.customFetch]: async (url, init) => {
            const response = await this.#fetch(url, init as RequestInit);
            discoveryResponse ??= response;
            return response;
          },
          // openid-client looks for allowInsecureRequests itself to allow an http discovery.
          execute: [
            ...(allowsHttp(this.#config) ? [client.allowInsecureRequests] : []),
            (d) => applyChecks(this.#config, d, this.#requestFetch),
          ],
        },
      );
    } catch (err) {
      throw toAuthError(err, 'discovery');
    }
    // applyChecks ran inside discovery, before its own fetch was installed: install the lasting one.
    c[client.customFetch] = this.#requestFetch;
    await this.#store(c.serverMetadata(), discoveryResponse);
    return c;
  }

  async #fromCache(): Promise<client.Configuration | undefined> {
    const trusted = this.#trusted;
    if (this.#cache === undefined || trusted === undefined) return undefined;
    let raw: string | undefined;
    try {
      raw = await this.#cache.read();
    } catch {
      raw = undefined;
    }
    const metadata =
      raw === undefined
        ? undefined
        : decodeProviderCache(raw, { digest: trusted, issuer: this.#config.issuer.href, now: this.#now() });
    if (metadata === undefined) return undefined;
    const c = new client.Configuration(
      metadata,
      this.#config.clientId,
      undefined,
      clientAuthentication(this.#config),
    );
    applyChecks(this.#config, c, this.#requestFetch);
    this.#digest = trusted;
    this.#fromStoredDocument = c;
    return c;
  }

  /** Stores the discovery document when its `Cache-Control` allows; a failed write only costs a discovery later. */
  async #store(metadata: client.ServerMetadata, response: Response | undefined): Promise<void> {
    if (this.#cache === undefined || response === undefined) return;
    const seconds = reusableSeconds(response.headers.get('cache-control'), response.headers.get('age'));
    // A document naming another issuer (openid-client accepts some, e.g. multi-tenant ones) could
    // never be used again: not stored.
    if (seconds === undefined || !sameIssuer(metadata.issuer, this.#config.issuer.href)) return;
    const raw = encodeProviderCache(metadata, this.#now() + seconds * 1000);
    try {
      await this.#cache.write(raw);
      this.#digest = providerCacheDigest(raw);
    } catch (err) {
      this.#logger?.info(
        `The provider's configuration could not be kept for the next launch: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** Every request after discovery: a GET of the JWKS fetched alongside the refresh takes that response. */
  readonly #requestFetch: client.CustomFetch = (url, init) => {
    const prefetch = this.#prefetch;
    if (prefetch !== undefined && prefetch.url === url && (init.method ?? 'GET') === 'GET') {
      this.#prefetch = undefined;
      return prefetch.response;
    }
    return this.#fetch(url, init as RequestInit);
  };

  /**
   * One refresh grant (RFC 6749 §6). When openid-client will need the JWKS to
   * verify the refreshed ID token (its copy is missing or about to expire),
   * the JWKS request starts together with the grant instead of after it.
   *
   * With a configuration from the stored discovery document, a token endpoint
   * that answers outside OAuth (e.g. 404: the provider moved it) makes the
   * document forgotten and the provider discovered again, once.
   */
  async refresh(
    refreshToken: string,
    parameters: Record<string, string>,
  ): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
    const c = await this.get();
    try {
      return await this.#refreshWith(c, refreshToken, parameters);
    } catch (err) {
      if (c !== this.#fromStoredDocument || !isNonOAuthAnswer(err)) throw err;
      this.#logger?.info(
        'The token endpoint of the kept provider configuration did not answer as expected; discovering the provider again.',
      );
      this.#pending = undefined;
      this.#trusted = undefined;
      this.#digest = undefined;
      this.#fromStoredDocument = undefined;
      return this.#refreshWith(await this.get(), refreshToken, parameters);
    }
  }

  async #refreshWith(
    c: client.Configuration,
    refreshToken: string,
    parameters: Record<string, string>,
  ): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
    const prefetch = this.#prefetchJwks(c);
    if (prefetch !== undefined) this.#prefetch = prefetch;
    try {
      const tokens = await client.refreshTokenGrant(c, refreshToken, parameters);
      this.#refreshCarriesIdToken = tokens.id_token !== undefined;
      return tokens;
    } finally {
      // Only this call's own prefetch: an overlapping refresh may have set its own since.
      if (prefetch !== undefined && this.#prefetch === prefetch) this.#prefetch = undefined;
      // Unused (no ID token came back): release its connection.
      void prefetch?.response.then((r) => (r.bodyUsed ? undefined : r.body?.cancel())).catch(() => {});
    }
  }

  /** Starts the JWKS request a refresh will need, if openid-client's copy will not do. */
  #prefetchJwks(
    c: client.Configuration,
  ): { readonly url: string; readonly response: Promise<Response> } | undefined {
    const jwksUri = c.serverMetadata().jwks_uri;
    if (jwksUri === undefined || !URL.canParse(jwksUri) || !this.#refreshCarriesIdToken) return undefined;
    const url = new URL(jwksUri);
    // The same rule openid-client applies before its own request: https, or http for a loopback issuer.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowsHttp(this.#config)))
      return undefined;
    const jwks = client.getJwksCache(c);
    const age = jwks === undefined ? Infinity : Date.now() / 1000 - jwks.uat;
    if (age < JWKS_PREFETCH_AGE_SECONDS) return undefined;
    const response = this.#fetch(url.href, {
      method: 'GET',
      headers: { accept: 'application/json, application/jwk-set+json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    // A failure reaches openid-client only if it asks for the JWKS; otherwise it is dropped here.
    response.catch(() => {});
    return { url: url.href, response };
  }
}

/** The provider answered, but not as an OAuth endpoint does (RFC 6749 §5.2 error JSON), nor with a temporary error. */
function isNonOAuthAnswer(err: unknown): boolean {
  if (err instanceof client.ResponseBodyError || isNetworkFailure(err)) return false;
  const status = responseStatus(err);
  return status !== undefined && status >= 300;
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
