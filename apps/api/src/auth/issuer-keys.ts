import { createRemoteJWKSet, errors } from 'jose';
import type { CryptoKey, FlattenedJWSInput, JWSHeaderParameters, RemoteJWKSet } from 'jose';
import { discoverJwksUri } from './discovery.ts';
import { IssuerUnavailableError } from './errors.ts';

/** How the issuer's keys are fetched and cached. */
export interface IssuerKeysOptions {
  /** The issuer, exactly as its discovery document names it. */
  issuer: string;
  /** Abort a discovery or JWKS request after this long. jose's default: 5 s. */
  fetchTimeoutMs: number;
  /**
   * After a successful JWKS fetch, a token with an unknown `kid` triggers no new fetch for
   * this long, so a flood of forged `kid`s cannot hammer the issuer. jose's default: 30 s.
   */
  cooldownMs: number;
  /** Keys are refetched after this long even if every `kid` is known. jose's default: 10 min. */
  cacheMaxAgeMs: number;
}

/** A key resolver for `jwtVerify`: picks the issuer's key for a token's `alg` and `kid`. */
export type IssuerKeys = (
  protectedHeader: JWSHeaderParameters,
  token: FlattenedJWSInput,
) => Promise<CryptoKey>;

/**
 * The token's own fault: no key (or several) matches its `kid`/`alg`. Anything else the
 * remote key set throws (network error, timeout, non-200, malformed JWKS, unusable key) is
 * the issuer's side being unavailable.
 */
function isTokenFault(err: unknown): boolean {
  return (
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSENotSupported
  );
}

/**
 * The issuer's signing keys, found lazily: the discovery document is fetched on the first
 * token to check (so the API starts while the provider is down) and again after a failure.
 * The JWKS itself is jose's remote key set: cached, refetched on an unknown `kid` once the
 * cooldown has passed, and its imported keys reused.
 *
 * @throws {IssuerUnavailableError} (from the resolver) the keys cannot be fetched.
 */
export function createIssuerKeys(options: IssuerKeysOptions): IssuerKeys {
  let keySet: Promise<RemoteJWKSet> | undefined;

  // Single flight: concurrent first requests share one discovery fetch; a failed one is
  // forgotten so that the next request tries again.
  const getKeySet = (): Promise<RemoteJWKSet> => {
    keySet ??= discoverJwksUri(options.issuer, { timeoutMs: options.fetchTimeoutMs }).then(
      (jwksUri) =>
        createRemoteJWKSet(jwksUri, {
          timeoutDuration: options.fetchTimeoutMs,
          cooldownDuration: options.cooldownMs,
          cacheMaxAge: options.cacheMaxAgeMs,
        }),
      (err: unknown) => {
        keySet = undefined;
        throw err;
      },
    );
    return keySet;
  };

  return async (protectedHeader, token) => {
    const jwks = await getKeySet();
    try {
      return await jwks(protectedHeader, token);
    } catch (err) {
      if (isTokenFault(err)) throw err;
      throw new IssuerUnavailableError("The issuer's JWKS cannot be fetched or used.", { cause: err });
    }
  };
}
