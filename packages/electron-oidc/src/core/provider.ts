import * as client from 'openid-client';
import type { AuthConfig } from './config.ts';
import type { DPoPKey } from './dpop/key.ts';
import { isLoopbackHost } from './config.ts';
import { JwksPrefetch } from './jwks-prefetch.ts';
import type { Logger } from './logger.ts';
import {
  decodeProviderCache,
  encodeProviderCache,
  providerCacheDigest,
  reusableSeconds,
  sameIssuer,
} from './provider-cache.ts';
import type { ProviderCacheStore } from './provider-cache.ts';
import { isNonOAuthAnswer, toAuthError } from './provider-errors.ts';
import type { FetchLike } from './fetch-like.ts';

export type { FetchLike } from './fetch-like.ts';

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
 * at the same time ({@link JwksPrefetch}), so that a silent sign-in waits for
 * one round trip, not two.
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
  readonly #jwks: JwksPrefetch;

  constructor(config: AuthConfig, options: ProviderConnectionOptions = {}) {
    this.#config = config;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#jwks = new JwksPrefetch(this.#fetch, { allowHttp: allowsHttp(config) });
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

  /** Every request after discovery: a GET of the JWKS fetched alongside a refresh takes that response. */
  readonly #requestFetch: client.CustomFetch = (url, init) =>
    this.#jwks.take(url, init as RequestInit) ?? this.#fetch(url, init as RequestInit);

  /**
   * One refresh grant (RFC 6749 §6), with the JWKS requested beside it
   * ({@link JwksPrefetch}) rather than after it, and a proof of `dpopKey`
   * when the session has one (RFC 9449 §5: the refresh token is bound to it).
   *
   * With a configuration from the stored discovery document, a token endpoint
   * that answers outside OAuth (e.g. 404: the provider moved it) makes the
   * document forgotten and the provider discovered again, once.
   */
  async refresh(
    refreshToken: string,
    parameters: Record<string, string>,
    dpopKey?: DPoPKey,
  ): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
    const grant = (configuration: client.Configuration) =>
      this.#jwks.around(configuration, () =>
        client.refreshTokenGrant(
          configuration,
          refreshToken,
          parameters,
          dpopKey === undefined ? undefined : { DPoP: dpopKey.handle(configuration) },
        ),
      );
    const c = await this.get();
    try {
      return await grant(c);
    } catch (err) {
      if (c !== this.#fromStoredDocument || !isNonOAuthAnswer(err)) throw err;
      this.#logger?.info(
        'The token endpoint of the kept provider configuration did not answer as expected; discovering the provider again.',
      );
      this.#pending = undefined;
      this.#trusted = undefined;
      this.#digest = undefined;
      this.#fromStoredDocument = undefined;
      return grant(await this.get());
    }
  }
}
