import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors } from 'jose';
import type { CryptoKey, FlattenedJWSInput, JSONWebKeySet, JWSHeaderParameters, RemoteJWKSet } from 'jose';
import { discoverJwksUri } from './discovery.ts';
import { IssuerUnavailableError } from './errors.ts';
import { createIssuerOutage } from './issuer-outage.ts';
import type { IssuerOutage } from './issuer-outage.ts';

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
  /**
   * After discovery or a JWKS fetch fails, no request goes to the issuer for this long: a
   * token that needs one gets the remembered 503 with the seconds left as `Retry-After`.
   */
  retryAfterSeconds: number;
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
 * Watches the key set in use for keys that leave it: after a JWKS fetch, compares what is
 * published now with what was before and tells the listeners which `kid`s left.
 */
function watchKeyRemovals(listeners: ReadonlySet<KeysRemovedListener>) {
  // JWKS fetches started, and the count when the key set in use was last compared.
  let fetchesStarted = 0;
  let fetchesCompared = 0;
  let published = new Map<string, string | undefined>();
  return {
    fetchStarted(): void {
      fetchesStarted += 1;
    },
    // Runs after a resolver call has awaited jose's reload, so the new key set is already the
    // one in use: a token checked from now on can no longer get a removed key.
    compare(jwks: RemoteJWKSet): void {
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
    },
  };
}

/**
 * jose's JWKS request, with the outage remembered: none goes out while a failure is
 * remembered, and one that fails (no answer in time, a status other than 200, a body that
 * jose's own `createLocalJWKSet` refuses as a key set) is remembered. jose then reads the
 * same answer again for the key set it keeps.
 */
function fetchKeySetWith(outage: IssuerOutage, onFetch: () => void) {
  return async (url: string, init: RequestInit): Promise<Response> => {
    outage.throwIfRemembered();
    onFetch();
    try {
      const response = await fetch(url, init);
      if (response.status !== 200) throw new Error(`expected 200 OK, got ${response.status}`);
      createLocalJWKSet((await response.clone().json()) as JSONWebKeySet);
      return response;
    } catch (cause) {
      throw outage.remember(`The issuer's JWKS at ${url} cannot be fetched.`, cause);
    }
  };
}

/** A failed discovery, remembered: its reason and cause as they were, for the logs. */
function rememberDiscoveryFailure(outage: IssuerOutage, err: unknown): IssuerUnavailableError {
  if (err instanceof IssuerUnavailableError) return outage.remember(err.message, err.cause);
  return outage.remember("The issuer's discovery document cannot be fetched.", err);
}

/**
 * The issuer's signing keys, found lazily: the discovery document is fetched on the first
 * token to check (so the API starts while the provider is down) and again after a failure.
 * The JWKS itself is jose's remote key set: cached, refetched on an unknown `kid` once the
 * cooldown has passed, and its imported keys reused (jose imports each JWK once per fetched
 * key set, on its first use, and keeps the `CryptoKey`). After a refetch, listeners learn
 * which keys left the set.
 *
 * A failed discovery or JWKS request is remembered for `retryAfterSeconds`: meanwhile a
 * token that would need a request to the issuer gets the 503 from memory, so a flood of
 * tokens (forged `kid`s included) costs the issuer nothing; a token whose key is already
 * held is still checked. Afterwards one request tries again, the others waiting for it
 * (single flight: one shared discovery promise, jose's one pending JWKS fetch).
 *
 * @throws {IssuerUnavailableError} (from the resolver) the keys cannot be fetched.
 */
export function createIssuerKeys(options: IssuerKeysOptions): IssuerKeys {
  let keySet: Promise<RemoteJWKSet> | undefined;
  // The same key set once discovery has found it, for `isFresh`, which must answer synchronously.
  let resolvedKeySet: RemoteJWKSet | undefined;
  const listeners = new Set<KeysRemovedListener>();
  const removals = watchKeyRemovals(listeners);
  const outage = createIssuerOutage({ retryAfterSeconds: options.retryAfterSeconds });

  // Single flight: concurrent first requests share one discovery fetch; a failed one is
  // forgotten so that the first request after the retry delay tries again.
  const getKeySet = (): Promise<RemoteJWKSet> => {
    if (keySet === undefined) outage.throwIfRemembered();
    keySet ??= discoverJwksUri(options.issuer, { timeoutMs: options.fetchTimeoutMs }).then(
      (jwksUri) => {
        resolvedKeySet = createRemoteJWKSet(jwksUri, {
          timeoutDuration: options.fetchTimeoutMs,
          cooldownDuration: options.cooldownMs,
          cacheMaxAge: options.cacheMaxAgeMs,
          [customFetch]: fetchKeySetWith(outage, () => removals.fetchStarted()),
        });
        return resolvedKeySet;
      },
      (err: unknown) => {
        keySet = undefined;
        throw rememberDiscoveryFailure(outage, err);
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
      // The token's own fault, or a JWKS request that failed (or was not sent), remembered.
      if (isTokenFault(err) || err instanceof IssuerUnavailableError) throw err;
      throw new IssuerUnavailableError("The issuer's JWKS cannot be used.", { cause: err });
    } finally {
      removals.compare(jwks);
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
