import { IssuerUnavailableError } from './errors.ts';

/**
 * What the API remembers of the issuer's last failure, so that a flood of tokens while the
 * issuer answers errors cannot turn into a flood of requests to it: each token needing
 * discovery or a JWKS fetch would otherwise cause one, forged ones included.
 */
export interface IssuerOutage {
  /**
   * Throws the remembered 503, its `Retry-After` the seconds still to wait, while the last
   * failure is younger than the retry delay; returns otherwise.
   *
   * @throws {IssuerUnavailableError} the issuer failed less than the retry delay ago.
   */
  throwIfRemembered(): void;
  /**
   * Remembers a failure from now on and returns the 503 to answer with, its `Retry-After`
   * the whole retry delay. `reason` is for the logs only.
   */
  remember(reason: string, cause: unknown): IssuerUnavailableError;
}

/**
 * Creates the memory of an outage. The API advertises `Retry-After` on its 503 (RFC 9110
 * §10.2.3); the same delay bounds how often it asks a failing issuer again. Once it has
 * passed, the next request tries again (its caller single-flights that attempt).
 *
 * @example
 * ```ts
 * const outage = createIssuerOutage({ retryAfterSeconds: 5 });
 * outage.throwIfRemembered();
 * try { return await fetchKeys(); } catch (err) { throw outage.remember('JWKS fetch failed', err); }
 * ```
 */
export function createIssuerOutage(options: {
  retryAfterSeconds: number;
  /** The clock, in ms since the epoch (tests). Default: `Date.now`. */
  now?: () => number;
}): IssuerOutage {
  const { retryAfterSeconds } = options;
  const now = options.now ?? Date.now;
  let until = Number.NEGATIVE_INFINITY;
  let last: IssuerUnavailableError | undefined;
  return {
    throwIfRemembered() {
      const left = until - now();
      if (last === undefined || !(left > 0)) return;
      throw new IssuerUnavailableError(
        'The issuer failed moments ago; no new request goes to it before Retry-After.',
        { cause: last, retryAfterSeconds: Math.ceil(left / 1000) },
      );
    },
    remember(reason, cause) {
      until = now() + retryAfterSeconds * 1000;
      last = new IssuerUnavailableError(reason, { cause, retryAfterSeconds });
      return last;
    },
  };
}
