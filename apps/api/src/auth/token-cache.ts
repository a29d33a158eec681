import type { IssuerKeys } from './issuer-keys.ts';
import { immutableScopes } from './scope.ts';
import type { AccessTokenVerifier, VerifiedAccessToken } from './verify.ts';

/** How long, and how many, verified tokens are remembered. */
export interface TokenCacheOptions {
  /** The verifier whose successes are remembered; it decides every token the cache does not know. */
  verifier: AccessTokenVerifier;
  /**
   * Tells the cache when keys leave the issuer's key set, and whether that set is fresh
   * (see `createIssuerKeys`).
   */
  keys: Pick<IssuerKeys, 'onKeysRemoved' | 'isFresh'>;
  /**
   * At most this many tokens are remembered. When full, the least recently used eighth is
   * forgotten at once (at least one token).
   */
  maxEntries: number;
  /** A token is verified again at least this often, whatever its `exp`. */
  maxAgeMs: number;
  /** The clock, in ms since the epoch (tests). Default: `Date.now`. */
  now?: () => number;
}

/** A verifier that remembers the tokens it has verified. */
export interface CachingAccessTokenVerifier extends AccessTokenVerifier {
  /** How many tokens are remembered now. */
  readonly size: number;
  /** Forgets every token. */
  clear(): void;
}

interface Entry {
  result: VerifiedAccessToken;
  /** `kid` of the key that verified it; undefined when the token named none. */
  kid: string | undefined;
  /** The entry serves only while `cachedAt <= now < expiresAt`. */
  cachedAt: number;
  expiresAt: number;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/**
 * Wraps a verifier so that a token it has already accepted is accepted again without
 * repeating the signature check, and without ever accepting what the wrapped verifier
 * would refuse at that moment:
 *
 * - Only successes are remembered, keyed by the exact token string; any failure (bad token,
 *   issuer unavailable) is decided again by the wrapped verifier every time. So a flood of
 *   garbage, however valid-looking, adds nothing; valid tokens take at most `maxEntries`.
 * - An entry serves from the moment it was verified until the earliest of: the token's
 *   `exp` itself (the wrapped verifier's clock tolerance is not extended: past `exp` the
 *   token is verified again, tolerance and all), `maxAgeMs` later, and the moment its key
 *   leaves the issuer's JWKS. `nbf` held when it was verified, so it holds at any later
 *   time; if the clock goes backwards past that moment the entry does not serve.
 * - No entry serves while the issuer's key set is not fresh (older than its cache max age,
 *   or not fetched yet): the wrapped verifier then refetches it, and refuses or answers
 *   503 as it would without the cache.
 * - A verification that was running when a key left the JWKS is not remembered.
 * - It caches verification only: scope and every other per-request check still run on
 *   each request, after `verify`.
 *
 * The result is frozen, as it is shared by every request with the same token.
 *
 * @example
 * ```ts
 * const keys = createIssuerKeys({ issuer, ... });
 * const verifier = createTokenCache({ verifier: createAccessTokenVerifier({ ..., keys }), keys,
 *   maxEntries: 10_000, maxAgeMs: 60_000 });
 * ```
 */
export function createTokenCache(options: TokenCacheOptions): CachingAccessTokenVerifier {
  const { verifier, maxEntries, maxAgeMs } = options;
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on use makes the first entry the least
  // recently used.
  const entries = new Map<string, Entry>();
  // Bumped on every key removal: a verification that started before one is not remembered.
  let keyGeneration = 0;
  // The most recently used token (the Map's last entry): using it again changes no order.
  let newest: string | undefined;

  options.keys.onKeysRemoved((removedKids) => {
    keyGeneration += 1;
    for (const [token, entry] of entries) {
      // A token without `kid` may have been verified by any key, the removed ones included.
      if (entry.kid === undefined || removedKids.has(entry.kid)) entries.delete(token);
    }
  });

  const remember = (token: string, result: VerifiedAccessToken, cachedAt: number): void => {
    const { exp } = result.claims;
    // `requiredClaims` makes exp a number; without one the token is not remembered.
    if (typeof exp !== 'number') return;
    const expiresAt = Math.min(exp * 1000, cachedAt + maxAgeMs);
    if (!(cachedAt < expiresAt) || maxEntries < 1) return;
    entries.delete(token);
    if (entries.size >= maxEntries) {
      // Full: drop the least recently used eighth at once. One token at a time would cost a
      // scan per insert: V8's Map keeps deleted entries as holes until it rehashes, and an
      // iterator from the front walks over all of them (7 µs per insert at 10,000 entries on
      // the benchmark machine, 0.4 µs in batches; docs/benchmarks.md, first-seen tokens).
      let excess = entries.size - maxEntries + 1 + Math.floor(maxEntries / 8);
      for (const oldest of entries.keys()) {
        entries.delete(oldest);
        excess -= 1;
        if (excess === 0) break;
      }
    }
    const kid = typeof result.header.kid === 'string' ? result.header.kid : undefined;
    // Frozen, scopes included (a frozen Set can still be changed): no request can change
    // what the next one with the same token sees.
    const shared = deepFreeze({ ...result, scopes: immutableScopes(result.scopes) });
    entries.set(token, { result: shared, kid, cachedAt, expiresAt });
    newest = token;
  };

  const recall = (token: string): VerifiedAccessToken | undefined => {
    // A stale key set (or none yet) would be refetched by the full check, which might then
    // refuse the token (its key dropped) or answer 503 (the issuer down): let it decide.
    if (!options.keys.isFresh()) return undefined;
    const entry = entries.get(token);
    if (entry === undefined) return undefined;
    const time = now();
    if (!(entry.cachedAt <= time && time < entry.expiresAt)) {
      entries.delete(token);
      return undefined;
    }
    // Re-inserted, so now the most recently used; the newest already is (a delete and an
    // insert per request would be the whole cost of a hit with one busy token).
    if (token !== newest) {
      entries.delete(token);
      entries.set(token, entry);
      newest = token;
    }
    return entry.result;
  };

  return {
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
      newest = undefined;
    },
    recall,
    async verify(token) {
      const remembered = recall(token);
      if (remembered !== undefined) return remembered;
      const generation = keyGeneration;
      const result = await verifier.verify(token);
      // The clock is read after the check, so the entry cannot serve before the moment the
      // wrapped verifier accepted the token.
      if (generation === keyGeneration) remember(token, result, now());
      return result;
    },
  };
}
