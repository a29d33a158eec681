import type { ChallengeScheme } from '../errors.ts';
import { InvalidDpopProofError, InvalidTokenError } from '../errors.ts';
import type { VerifiedAccessToken } from '../verify.ts';
import { checkProofFreshness } from './freshness.ts';
import type { ProofFreshnessOptions } from './freshness.ts';
import { createDpopNonces } from './nonce.ts';
import { createProofVerifier } from './proof.ts';
import { createProofKeys, DPOP_ALGORITHMS } from './proof-key.ts';
import { createReplayCache } from './replay-cache.ts';

export interface DpopCheckOptions {
  /**
   * The API's URL as clients reach it (scheme, host, port, and a path prefix if a proxy
   * adds one): `htu` must name it followed by the request's path.
   */
  publicUrl: string;
  /**
   * A proof without a nonce is taken when its `iat` is at most this many seconds before or after
   * the API's clock; one further off is answered `use_dpop_nonce` (see `checkProofFreshness`).
   */
  proofWindowSeconds: number;
  /** At most this many proofs are remembered (see `createReplayCache`). */
  replayCacheMaxEntries: number;
  /**
   * `on`: every proof must carry a nonce the API handed out (`DPoP-Nonce`). `off`: nonces on
   * demand, for a proof whose `iat` is outside the window (RFC 9449 §11.1).
   */
  nonce: 'on' | 'off';
  /**
   * How long each nonce slot lasts (a nonce is valid for one to two of them). A proof with a
   * valid nonce may have an `iat` as far off as two slots.
   */
  nonceLifetimeSeconds: number;
  /** The clock, in ms since the epoch. Default: `Date.now`. */
  now?: () => number;
}

/** The request's side of a DPoP check. */
export interface DpopRequest {
  /** Every `DPoP` header field value, as received. */
  proofs: readonly string[];
  method: string;
  /** The path the request was routed by, without query. */
  path: string;
}

/** Checks the proof of a request made with `Authorization: DPoP` (RFC 9449 §4.3, §7.1). */
export interface DpopCheck {
  /** The `DPoP` challenge scheme, with the proof algorithms in `algs`. */
  readonly scheme: ChallengeScheme;
  /** With nonces on, the nonce every DPoP answer announces in `DPoP-Nonce`. */
  currentNonce(): string | undefined;
  /**
   * Checks the request's one proof against the request and the verified access token.
   *
   * @throws {InvalidDpopProofError} no proof, several, or one that fails a check.
   * @throws {UseDpopNonceError} the proof needs a nonce (nonces on, or its iat too far off) or has an invalid one.
   * @throws {InvalidTokenError} the access token is not bound to a DPoP key.
   */
  check(request: DpopRequest, token: string, accessToken: VerifiedAccessToken): Promise<void>;
}

/** The `cnf.jkt` of a DPoP-bound token (RFC 9449 §6.1), or undefined. */
export function boundKeyOf(accessToken: VerifiedAccessToken): string | undefined {
  const { cnf } = accessToken.claims as { cnf?: unknown };
  if (typeof cnf !== 'object' || cnf === null) return undefined;
  const { jkt } = cnf as { jkt?: unknown };
  return typeof jkt === 'string' ? jkt : undefined;
}

/**
 * RFC 9449 §7.2: a token bound to a key (any `cnf`) is refused when sent as a Bearer token,
 * or whoever copied it could use it without the key.
 *
 * @throws {InvalidTokenError} the token is bound.
 */
export function refuseBoundToken(accessToken: VerifiedAccessToken): void {
  if (accessToken.claims.cnf !== undefined) {
    throw new InvalidTokenError(
      'The access token is bound to a key: send it with Authorization: DPoP and a DPoP proof (RFC 9449, section 7.2).',
    );
  }
}

/** The one proof of a request, or why there is none to check. */
function onlyProof(proofs: readonly string[]): string {
  if (proofs.length > 1) {
    throw new InvalidDpopProofError('The request has several DPoP headers; send exactly one proof.');
  }
  const [proof] = proofs;
  if (proof === undefined || proof === '') {
    throw new InvalidDpopProofError(
      'The request has no DPoP proof; send one in the DPoP header with the access token.',
    );
  }
  return proof;
}

/**
 * Creates the API's DPoP check: the proof itself (`createProofVerifier`), bound to the
 * token's key (`cnf.jkt` equal to the proof key's thumbprint), recent by its `iat` or by a
 * nonce of this API (`checkProofFreshness`), and never seen before (`createReplayCache`).
 * Nothing of a proof is remembered but its `jti`, so every request's proof is checked in full.
 *
 * @example
 * ```ts
 * const dpop = createDpopCheck({ publicUrl: 'https://api.example', proofWindowSeconds: 60,
 *   replayCacheMaxEntries: 100_000, nonce: 'off', nonceLifetimeSeconds: 300 });
 * await dpop.check({ proofs, method: 'GET', path: '/private' }, token, verifiedToken);
 * ```
 */
export function createDpopCheck(options: DpopCheckOptions): DpopCheck {
  const now = options.now ?? Date.now;
  const base = options.publicUrl.replace(/\/+$/, '');
  const verifyProof = createProofVerifier({ keys: createProofKeys({ maxEntries: 1_000 }), now });
  const replays = createReplayCache({ maxEntries: options.replayCacheMaxEntries });
  // Always made, so a client whose clock is off can be given one (RFC 9449 §11.1); only with
  // nonces on does every proof need one.
  const freshness: ProofFreshnessOptions = {
    nonce: options.nonce,
    windowSeconds: options.proofWindowSeconds,
    nonces: createDpopNonces({ lifetimeSeconds: options.nonceLifetimeSeconds, now }),
    nonceValiditySeconds: 2 * options.nonceLifetimeSeconds,
  };
  return {
    scheme: Object.freeze({ name: 'DPoP', params: [['algs', DPOP_ALGORITHMS.join(' ')]] as const }),
    currentNonce: () => (options.nonce === 'on' ? freshness.nonces.current() : undefined),
    async check(request, token, accessToken) {
      const proof = onlyProof(request.proofs);
      const jkt = boundKeyOf(accessToken);
      if (jkt === undefined) {
        throw new InvalidTokenError('The access token is not bound to a DPoP key (it has no cnf.jkt claim).');
      }
      const verified = await verifyProof(proof, {
        method: request.method,
        uri: `${base}${request.path}`,
        accessToken: token,
      });
      if (verified.jkt !== jkt) {
        throw new InvalidDpopProofError(
          'The DPoP proof is signed with another key than the one the access token is bound to.',
        );
      }
      // One reading of the clock for both, so the cache keeps the proof as long as it is taken.
      const at = now() / 1000;
      const until = checkProofFreshness(freshness, verified, at);
      switch (replays.claim(`${verified.jkt} ${verified.jti}`, until, at)) {
        case 'replayed':
          throw new InvalidDpopProofError(
            'The DPoP proof was used before (same jti); make a new proof for every request.',
          );
        case 'undecidable':
          throw new InvalidDpopProofError(
            'The DPoP proof is too old to be checked for replay now; make a new proof.',
          );
        case 'fresh':
          return;
      }
    },
  };
}
