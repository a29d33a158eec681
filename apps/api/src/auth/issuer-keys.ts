import { createRemoteJWKSet, customFetch, errors } from 'jose';
import type { CryptoKey, FlattenedJWSInput, JSONWebKeySet, JWSHeaderParameters, RemoteJWKSet } from 'jose';
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

/**
 * Called once the issuer's key set in use no longer holds some key it held before.
 * `removedKids` names the `kid`s of the keys that left (a key replaced under the same `kid`
 * counts as removed). A key without a `kid` can only have verified tokens without one, so
 * a listener treats every token without a `kid` as possibly affected.
 */
export type KeysRemovedListener = (removedKids: ReadonlySet<string>) => void;

/**
 * A key resolver for jose's `jwtVerify` (`verify.ts`): picks the issuer's key for a token's `alg` and
 * `kid`. It also tells whoever remembers verified tokens (the token cache) when keys leave the set.
 */
export interface IssuerKeys {
  (protectedHeader: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey>;
  /**
   * Subscribes to key removals, reported after a JWKS refetch has replaced the key set in
   * use; returns the unsubscribe function.
   */
  onKeysRemoved(listener: KeysRemovedListener): () => void;
  /**
   * Whether the key set in use is younger than `cacheMaxAgeMs` (jose's `fresh`), so that the
   * next check would use it without a refetch. False before the first fetch, and once it is
   * stale: whoever remembers verified tokens must then let the full check run (which
   * refetches, or answers that the issuer is unavailable).
   */
  isFresh(): boolean;
}

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

/** One string per published key, equal for equal keys whatever the member order. */
function keyIdentities(jwks: JSONWebKeySet | undefined): Map<string, string | undefined> {
  const identities = new Map<string, string | undefined>();
  for (const jwk of jwks?.keys ?? []) {
    const sorted = Object.fromEntries(Object.entries(jwk).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    identities.set(JSON.stringify(sorted), typeof jwk.kid === 'string' ? jwk.kid : undefined);
  }
  return identities;
}

/**
 * The issuer's signing keys, found lazily: the discovery document is fetched on the first
 * token to check (so the API starts while the provider is down) and again after a failure.
 * The JWKS itself is jose's remote key set: cached, refetched on an unknown `kid` once the
 * cooldown has passed, and its imported keys reused (jose imports each JWK once per fetched
 * key set, on its first use, and keeps the `CryptoKey`). After a refetch, listeners learn
 * which keys left the set.
 *
 * @throws {IssuerUnavailableError} (from the resolver) the keys cannot be fetched.
 */
export function createIssuerKeys(options: IssuerKeysOptions): IssuerKeys {
  let keySet: Promise<RemoteJWKSet> | undefined;
  // The same key set once discovery has found it, for `isFresh`, which must answer synchronously.
  let resolvedKeySet: RemoteJWKSet | undefined;
  const listeners = new Set<KeysRemovedListener>();
  // JWKS fetches started, and the count when the key set in use was last compared.
  let fetchesStarted = 0;
  let fetchesCompared = 0;
  let published = new Map<string, string | undefined>();

  // Runs after a resolver call has awaited jose's reload, so the new key set is already the
  // one in use: a token checked from now on can no longer get a removed key.
  const compareKeySet = (jwks: RemoteJWKSet): void => {
    if (fetchesCompared === fetchesStarted || jwks.reloading) return;
    fetchesCompared = fetchesStarted;
    const current = keyIdentities(jwks.jwks());
    const removedKids = new Set<string>();
    let removed = false;
    for (const [identity, kid] of published) {
      if (current.has(identity)) continue;
      removed = true;
      if (kid !== undefined) removedKids.add(kid);
    }
    published = current;
    if (removed) for (const listener of listeners) listener(removedKids);
  };

  // Single flight: concurrent first requests share one discovery fetch; a failed one is
  // forgotten so that the next request tries again.
  const getKeySet = (): Promise<RemoteJWKSet> => {
    keySet ??= discoverJwksUri(options.issuer, { timeoutMs: options.fetchTimeoutMs }).then(
      (jwksUri) => {
        resolvedKeySet = createRemoteJWKSet(jwksUri, {
          timeoutDuration: options.fetchTimeoutMs,
          cooldownDuration: options.cooldownMs,
          cacheMaxAge: options.cacheMaxAgeMs,
          [customFetch]: (url, init) => {
            fetchesStarted += 1;
            return fetch(url, init);
          },
        });
        return resolvedKeySet;
      },
      (err: unknown) => {
        keySet = undefined;
        throw err;
      },
    );
    return keySet;
  };

  const useKeySet = async (
    jwks: RemoteJWKSet,
    protectedHeader: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ) => {
    try {
      return await jwks(protectedHeader, token);
    } catch (err) {
      if (isTokenFault(err)) throw err;
      throw new IssuerUnavailableError("The issuer's JWKS cannot be fetched or used.", { cause: err });
    } finally {
      compareKeySet(jwks);
    }
  };
  // Once discovery is done, straight to the key set: no wait for a settled promise.
  const resolve = (protectedHeader: JWSHeaderParameters, token: FlattenedJWSInput) =>
    resolvedKeySet === undefined
      ? getKeySet().then((jwks) => useKeySet(jwks, protectedHeader, token))
      : useKeySet(resolvedKeySet, protectedHeader, token);
  return Object.assign(resolve, {
    onKeysRemoved(listener: KeysRemovedListener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    isFresh() {
      return resolvedKeySet?.fresh ?? false;
    },
  });
}
